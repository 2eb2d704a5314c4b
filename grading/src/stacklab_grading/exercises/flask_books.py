"""Weeks 7-8, the books site (course.md 1.14, the week-7 assignment; the solution shown in week 8 is Flask's,
but any Python technology may serve it): `/` lists the books of bookdb.py, each title a link to its detail page,
and each detail page shows that book's title, ISBN, publisher and author. The detail pages' URLs are the site's
own (the course's were `/detail/<id>`): the checks follow the index's links.

The data is bookdb.py's (section 3.1), with "O'Reilly Media" as intended: the 2012 literal reads "OReilly Media"
(section 4, item 21) and fails. Fixed from 2012, so these fail too: an unknown book answered with a 500 (a
KeyError) or the interactive debugger (debug=True), not a 404. The order of the list is not graded.
"""

import re
from urllib.parse import quote

from ..engine import Context, Exercise, Failure
from . import webapp
from .webapp import Browser

flask_books = Exercise(
    "flask_books",
    "7",
    5000,
    "a books site: / lists bookdb's titles, each linked to its detail page",
    by_roster_port=True,
)

BOOKS = {  # bookdb.py (course.md 3.1): id -> title, isbn, publisher, author
    "id1": (
        "CherryPy Essentials: Rapid Python Web Application Development",
        "978-1904811848",
        "Packt Publishing (March 31, 2007)",
        "Sylvain Hellegouarch",
    ),
    "id2": (
        "Python for Software Design: How to Think Like a Computer Scientist",
        "978-0521725965",
        "Cambridge University Press; 1 edition (March 16, 2009)",
        "Allen B. Downey",
    ),
    "id3": (
        "Foundations of Python Network Programming",
        "978-1430230038",
        "Apress; 2 edition (December 21, 2010)",
        "John Goerzen",
    ),
    "id4": (
        "Python Cookbook, Second Edition",
        "978-0-596-00797-3",
        "O'Reilly Media",
        "Alex Martelli, Anna Ravenscroft, David Ascher",
    ),
    "id5": (
        "The Pragmatic Programmer: From Journeyman to Master",
        "978-0201616224",
        "Addison-Wesley Professional (October 30, 1999)",
        "Andrew Hunt, David Thomas",
    ),
}
FIELDS = ("title", "ISBN", "publisher", "author")


def index(ctx: Context) -> dict[str, str]:
    """Title -> the path of its detail page, from the index's links."""
    response = webapp.ok(Browser(ctx).get("/"), "/")
    found = {text: path for path, text in webapp.links(response.text(), "/")}
    for title, *_ in BOOKS.values():
        if title not in found:
            raise Failure(f"the index has no link titled {title!r}", "books-missing", got=response.body, title=title)
    return found


@flask_books.check("GET /: an HTML page linking each of bookdb's five titles")
def lists_books(ctx: Context) -> str:
    index(ctx)
    return "five title links"


@flask_books.check(
    "each title's link leads to a page with its title, ISBN, publisher and author", needs=("lists-books",)
)
def details(ctx: Context) -> str:
    paths = index(ctx)
    for title, isbn, publisher, author in BOOKS.values():
        target = paths[title]
        text = webapp.text_of(webapp.ok(Browser(ctx).get(target), target).text())
        for name, value in zip(FIELDS, (title, isbn, publisher, author), strict=True):
            if value in text:
                continue
            hint = "oreilly" if "OReilly" in text else "book-detail"
            raise Failure(f"{target} does not show the {name} {value!r}", hint, target=target, field=name, value=value)
    return f"{len(BOOKS)} detail pages, each with its four fields"


@flask_books.check("answers an unknown book with 404, not a 500 or the debugger", needs=("details",))
def unknown_book(ctx: Context) -> str:
    known = index(ctx)[BOOKS["id3"][0]]
    target = re.sub(r"[^/]*$", quote("no-such-book"), known, count=1)
    response = Browser(ctx).get(target)
    why = webapp.crashed(response)
    if why == "the Werkzeug debugger":
        raise Failure(f"GET {target} answered the interactive debugger", "debugger-exposed", got=response.body)
    if response.status != 404:
        hint = "unknown-book-500" if response.status >= 500 or why else "not-404"
        raise Failure(
            f"GET {target} answered status {response.status}, not 404",
            hint,
            got=response.raw,
            target=target,
            status=response.status,
        )
    return f"GET {target}: 404"


@flask_books.check("answers a path it does not serve with status 404", needs=("lists-books",))
def not_found(ctx: Context) -> str:
    return webapp.not_found(ctx, "/no/such/page")
