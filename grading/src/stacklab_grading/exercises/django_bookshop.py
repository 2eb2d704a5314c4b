"""Weeks 9-10, the Django bookshop (course.md 1.17, section 2 item 13): the booksite behind a login, with Django's
login and logout views and sessions. The flow of week10/logins.txt: an anonymous GET /books/ is a 302 to
/accounts/login/?next=/books/; the login form (with its CSRF token) posted with a good account is a 302 to `next`;
/books/ and the detail pages are then 200 and say "User: <name>"; logout ends the session.

The account is --user/--password (default the course's jon/jacky). Fixed from 2012 (section 4, items 3, 15, 18,
19): logout is a POST form with the CSRF token (Django 5, the lab's 5.2, answers GET logout with 405; the course's
GET link let any page log its reader out), the session cookie is HttpOnly, the login's `next` never leads off the
site, and `next` is escaped in the form. Only one wrong password is tried, so that a site that locks an account
after a few (django-axes) is not locked by the checker.
"""

import re

from ..engine import Context, Exercise, Failure
from . import browser
from .browser import Browser, log_in, login_target, submit_login

django_bookshop = Exercise(
    "django_bookshop", "9-10", 8000, "the booksite behind Django's login, sessions and logout", by_roster_port=True
)

DETAIL = "/books/detail/978-1904811848"
OFF_SITE = "//evil.example/books/"  # a path to a naive check, another host to a browser
ERROR_WORDS = ("error", "not a valid", "invalid", "incorrect", "correct username", "wrong")


def expect_login_redirect(response, target: str, hint: str) -> str:
    wanted = browser.login_target(response)
    if wanted != target:
        raise Failure(
            f"an anonymous GET {target} gave status {response.status}, not a redirect to the login page",
            hint,
            got=response.raw,
            target=target,
        )
    return f"{response.status} to {browser.LOGIN}?next={target}"


@django_bookshop.check("an anonymous GET /books/ is redirected to /accounts/login/?next=/books/")
def login_required(ctx: Context) -> str:
    return expect_login_redirect(Browser(ctx).get("/books/"), "/books/", "login-not-required")


@django_bookshop.check(f"an anonymous GET {DETAIL} is redirected to the login page too", needs=("login-required",))
def detail_login_required(ctx: Context) -> str:
    return expect_login_redirect(Browser(ctx).get(DETAIL), DETAIL, "detail-not-protected")


@django_bookshop.check("the login page has a POST form: username, password, next and a CSRF token")
def login_form(ctx: Context) -> str:
    _, page, form = browser.open_login(Browser(ctx))
    if form.token is None:
        raise Failure("the login form has no hidden CSRF token field", "no-csrf-token", got=page.raw)
    return f"a form with {', '.join(sorted({n for n, _, _ in form.inputs}))}"


@django_bookshop.check("the login page escapes `next`: markup in it never comes back live", needs=("login-form",))
def escapes_next(ctx: Context) -> str:
    _, page, _ = browser.open_login(Browser(ctx), "/books/" + browser.MARKUP)
    if browser.MARKUP.lower() in page.text().lower():
        raise Failure("the login page put the <img> element of `next` into the page", "unescaped-next", got=page.raw)
    return "next came back escaped"


@django_bookshop.check("a login POST without the CSRF token is refused (403)", needs=("login-form",))
def csrf_checked(ctx: Context) -> str:
    client = Browser(ctx)
    response = submit_login(client, ctx.password, token=False)
    if response.status not in (400, 403) or login_target(client.get("/books/")) is None:
        raise Failure(
            f"a login without the CSRF token gave status {response.status}, not 403",
            "csrf-not-checked",
            got=response.raw,
        )
    return f"{response.status}, and no session"


@django_bookshop.check("a wrong password gives the form again with an error, and no session", needs=("login-form",))
def wrong_password(ctx: Context) -> str:
    client = Browser(ctx)
    response = submit_login(client, ctx.password + "-wrong")
    if response.status in browser.REDIRECTS or login_target(client.get("/books/")) is None:
        raise Failure(
            "a wrong password logged in (or was redirected as a good one)", "wrong-password-accepted", got=response.raw
        )
    text = response.text().lower()
    if response.status != 200 or browser.login_form(response) is None or not any(w in text for w in ERROR_WORDS):
        raise Failure(
            f"a wrong password gave status {response.status} without the form and an error", "no-login-error",
            got=response.raw,
        )  # fmt: skip
    return "200, the form again with an error"


@django_bookshop.check("a good login is a 302 to `next`; /books/ and a detail page are then 200", needs=("login-form",))
def logs_in(ctx: Context) -> str:
    client, response = log_in(ctx)
    location = browser.path_of(response.header("location"), ctx.host)
    if location != "/books/":
        raise Failure(
            f"the login redirected to {response.header('location')!r}, not to next=/books/",
            "next-ignored",
            got=response.raw,
        )
    ctx.shared["login"] = client.set_last, response.raw  # for the HttpOnly check
    for target in ("/books/", DETAIL):
        page = client.get(target)
        if page.status != 200:
            raise Failure(
                f"after logging in, GET {target} gave status {page.status}", "session-lost", got=page.raw, target=target
            )
    ctx.shared["cookies"] = dict(client.cookies)
    return f"logged in as {ctx.user}: /books/ and {DETAIL} are 200"


@django_bookshop.check("the pages say 'User: <name>' of the user logged in", needs=("logs-in",))
def shows_user(ctx: Context) -> str:
    page = Browser(ctx, "A", ctx.shared["cookies"]).get("/books/")
    if f"User: {ctx.user}" not in browser.text_of(page):
        raise Failure(f"/books/ does not say 'User: {ctx.user}'", "no-user-shown", got=page.raw, user=ctx.user)
    return f"User: {ctx.user}"


@django_bookshop.check("the session cookie the login sets is HttpOnly", needs=("logs-in",))
def httponly(ctx: Context) -> str:
    cookies, raw = ctx.shared["login"]
    session = {name: m for name, m in cookies.items() if "csrf" not in name.lower() and m.value}
    bare = sorted(name for name, morsel in session.items() if not morsel["httponly"])
    if bare:
        line = re.search(rb"(?im)^set-cookie:[ \t]*" + re.escape(bare[0].encode()) + rb"=[^\r\n]*", raw)[0]
        raise Failure(
            f"the login's response set the cookie {bare[0]!r} without HttpOnly",
            "cookie-not-httponly",
            expected=line + b"; HttpOnly",
            got=line,
            cookie=bare[0],
        )
    return f"HttpOnly: {', '.join(sorted(session)) or 'no new cookie'}"


@django_bookshop.check(f"a login with next={OFF_SITE} stays on the site", needs=("logs-in",))
def no_open_redirect(ctx: Context) -> str:
    _, response = log_in(ctx, "A", OFF_SITE)
    location = response.header("location")
    if not browser.path_of(location, ctx.host) or location.startswith("//"):
        raise Failure(f"the login redirected off the site, to {location!r}", "open-redirect", got=response.raw)
    return f"redirected to {location}"


@django_bookshop.check("GET /accounts/logout/ does not log out (logout is a POST: Django 5)", needs=("logs-in",))
def logout_needs_post(ctx: Context) -> str:
    client, _ = log_in(ctx)
    response = client.get("/accounts/logout/")
    if client.get("/books/").status != 200:
        raise Failure(f"GET /accounts/logout/ ({response.status}) ended the session", "logout-get", got=response.raw)
    return f"GET logout: {response.status}, still logged in"


@django_bookshop.check(
    "the pages' Logout form (POST) ends the session: the old cookie no longer works", needs=("logs-in",)
)
def logout(ctx: Context) -> str:
    client, _ = log_in(ctx)
    page = client.get("/books/")
    form = next((f for f in browser.forms(page) if "logout" in f.action and f.method == "post"), None)
    if form is None:
        raise Failure("/books/ has no POST form to /accounts/logout/", "no-logout-form", got=page.raw)
    old = dict(client.cookies)
    response = client.post(browser.path_of(form.action, ctx.host) or "/accounts/logout/", form.hidden)
    if response.status not in (200, *browser.REDIRECTS):
        raise Failure(f"POST {form.action} gave status {response.status}", "no-logout-form", got=response.raw)
    replay = Browser(ctx, "B", old).get("/books/")
    if login_target(replay) is None:
        raise Failure(
            f"after logout, the old session cookie still reached /books/ ({replay.status})", "logout-keeps-session",
            got=replay.raw,
        )  # fmt: skip
    return f"logged out ({response.status}); the old cookie is redirected to the login page"
