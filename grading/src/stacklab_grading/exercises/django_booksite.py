"""Week 9, the Django booksite (course.md 1.16, section 2 item 12): /books/ lists the books' titles, each linking to
/books/detail/<isbn>, which shows the title, `ISBN:`, `Publisher:`, `Author:` and a Back link to /books/.

The course's database held the first 3 books of bookdb.py (section 3.2); a site with all 5 passes too: the checks
look for those 3, not for a count or an order. `/books` gets a permanent redirect to `/books/` (APPEND_SLASH) and
`/` is 404, as in the course. Fixed from 2012 (section 4, items 12 and 17): an unknown ISBN is 404, not a 500
(`DoesNotExist`), and the site does not run with DEBUG on. A site whose books are behind a login (the bookshop, or
the lab's own) is graded logged in with --user/--password.
"""

from urllib.parse import quote, urljoin

from ..engine import Context, Exercise, Failure
from . import browser

django_booksite = Exercise(
    "django_booksite", "9", 8000, "the books site in Django: /books/ and its detail pages", by_roster_port=True
)

# The course's 3 books (course.md 3.2): ISBN -> (title, publisher, author).
BOOKS = {
    "978-1904811848": (
        "CherryPy Essentials: Rapid Python Web Application Development",
        "Packt Publishing (March 31, 2007)",
        "Sylvain Hellegouarch",
    ),
    "978-0521725965": (
        "Python for Software Design: How to Think Like a Computer Scientist",
        "Cambridge University Press; 1 edition (March 16, 2009)",
        "Allen B. Downey",
    ),
    "978-1430230038": (
        "Foundations of Python Network Programming",
        "Apress; 2 edition (December 21, 2010)",
        "John Goerzen",
    ),
}
SHOWN = "978-0521725965"
UNKNOWN = "/books/detail/000"
DEBUG_MARKS = ("DEBUG = True", "Using the URLconf defined in", "Werkzeug Debugger", "Traceback (most recent call")


def index_links(ctx: Context) -> dict[str, str]:
    """The index's links to detail pages: path -> link text; Failure unless it is a 200 page."""
    _, response = browser.books_page(ctx, "/books/")
    browser.expect_status(response, "GET", "/books/", 200, "status-not-200")
    links = browser.Parser(response.text()).links
    paths = {browser.path_of(urljoin("/books/", href), ctx.host): text for href, text in links}
    return {path: text for path, text in paths.items() if path.startswith("/books/detail/")}


@django_booksite.check("GET /books/ lists the course's 3 books, each title a link to /books/detail/<isbn>")
def index(ctx: Context) -> str:
    links = index_links(ctx)
    for isbn, (title, _, _) in BOOKS.items():
        if links.get(f"/books/detail/{isbn}") != title:
            raise Failure(
                f"/books/ has no link '{title}' to /books/detail/{isbn}", "books-links", isbn=isbn, title=title
            )
    return f"{len(links)} books listed, the course's 3 among them"


@django_booksite.check("GET /books (no slash) is redirected to /books/", needs=("index",))
def append_slash(ctx: Context) -> str:
    response = browser.Browser(ctx).get("/books")
    location = browser.path_of(response.header("location"), ctx.host)
    if response.status not in (301, 308) or location != "/books/":
        raise Failure(
            f"GET /books gave status {response.status}, not 301 to /books/", "books-append-slash", got=response.raw
        )
    return f"{response.status} to /books/"


@django_booksite.check("GET / is 404: nothing is mapped at the root", needs=("index",))
def root_404(ctx: Context) -> str:
    response = browser.Browser(ctx).get("/")
    browser.expect_status(response, "GET", "/", 404, "root-not-404")
    return "404"


@django_booksite.check(
    f"GET /books/detail/{SHOWN} shows the title, ISBN, Publisher, Author and a Back link", needs=("index",)
)
def detail(ctx: Context) -> str:
    target = f"/books/detail/{SHOWN}"
    _, response = browser.books_page(ctx, target)
    browser.expect_status(response, "GET", target, 200, "status-not-200")
    title, publisher, author = BOOKS[SHOWN]
    text = browser.text_of(response)
    wanted = [title, f"ISBN: {SHOWN}", f"Publisher: {publisher}", f"Author: {author}"]
    missing = [want for want in wanted if want not in text]
    if missing:
        raise Failure(
            f"the page of {SHOWN} does not say {missing[0]!r}", "books-detail", got=response.raw, missing=missing[0]
        )
    links = browser.Parser(response.text()).links
    if not any(browser.path_of(href, ctx.host) == "/books/" and text == "Back" for href, text in links):
        raise Failure(f"the page of {SHOWN} has no link 'Back' to /books/", "no-back-link", got=response.raw)
    return "title, ISBN, Publisher, Author and Back"


@django_booksite.check("every detail link of the index answers 200 with its book's title", needs=("detail",))
def every_detail(ctx: Context) -> str:
    links = index_links(ctx)
    session = browser.Browser(ctx, "A", ctx.shared.get("cookies"))
    for path, title in links.items():
        response = session.get(path)
        if response.status != 200 or title not in browser.text_of(response):
            raise Failure(
                f"the index links {path}, which does not show {title!r}",
                "detail-link-broken",
                got=response.raw,
                target=path,
            )
    return f"{len(links)} detail pages"


@django_booksite.check(f"GET {UNKNOWN} (no such ISBN) is 404, not a server error", needs=("detail",))
def unknown_isbn(ctx: Context) -> str:
    _, response = browser.books_page(ctx, UNKNOWN)
    browser.expect_status(response, "GET", UNKNOWN, 404, "unknown-isbn")
    return "404"


@django_booksite.check("an ISBN with markup in the URL never comes back as live HTML", needs=("unknown-isbn",))
def escapes_isbn(ctx: Context) -> str:
    target = "/books/detail/" + quote(browser.MARKUP)
    _, response = browser.books_page(ctx, target)
    if browser.MARKUP.lower() in response.text().lower():
        raise Failure(f"GET {target} put the URL's <img> element into the page", "unescaped-isbn", got=response.raw)
    return f"{response.status}, the markup escaped or absent"


@django_booksite.check("the 404 page is not Django's debug page (DEBUG is off)", needs=("root-404",))
def no_debug(ctx: Context) -> str:
    response = browser.Browser(ctx).get("/no/such/page")
    shown = [mark for mark in DEBUG_MARKS if mark in response.text()]
    if shown:
        raise Failure(f"GET /no/such/page showed a debug page ({shown[0]!r})", "debug-on", got=response.raw)
    return f"{response.status}, no debug page"
