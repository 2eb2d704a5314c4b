"""The week-7 revision of the echo apps (course.md 1.12 and 1.13): every message since the app started, newest
first, the same for every visitor. The checks of wsgi_history and flask_echo's history part.

How a message is added follows the fix course.md asks for (section 4, items 13 and 19): the 2012 solution added
it on `GET /echo_wsgi.py?message=...`, which changes state on a GET (a prefetcher or a link on another site adds
messages); here the history page holds a POST form, with whatever hidden fields (a CSRF token) and cookies the
app gives, and a POST without them must be refused. The 2012 way fails with a hint that says so. Kept from 2012:
newest first, and one history shared by every visitor. A history kept per process (each worker its own) shows
as a message missing from a later request; one kept per visitor as a new visitor not seeing it.
"""

import uuid
from urllib.parse import urlsplit

from ..engine import Context, Exercise, Failure
from . import webapp
from .webapp import Browser


def fresh(label: str) -> str:
    """A message no earlier run posted: the history outlives a run, and a correct app keeps it."""
    return f"{label} {uuid.uuid4().hex[:8]}"


def add_checks(exercise: Exercise, page: str, echo_action: str, needs: tuple[str, ...] = ()) -> None:
    """Add the history checks to `exercise`: the history at `page`; `echo_action` is where the 2012 version
    added messages by GET."""

    def history_form(browser: Browser) -> webapp.Form:
        response = browser.get(page)
        form = webapp.message_form(response.text(), page) if response.status == 200 else None
        if form is not None and form.method == "POST":
            return form
        if form is not None or adds_by_get(browser.ctx):
            raise Failure(
                f"messages are added by GET {echo_action}?message=..., not by a POST form on {page}",
                "history-by-get",
                got=response.raw,
                page=page,
            )
        raise Failure(
            f"GET {page} gave status {response.status} and no POST form with a field 'message'",
            "no-history-page",
            got=response.raw,
            page=page,
        )

    def adds_by_get(ctx: Context) -> bool:
        first, second = fresh("by-get"), fresh("by-get")
        browser = Browser(ctx, "G")
        browser.get(f"{echo_action}?message={first.replace(' ', '+')}")
        return first in webapp.text_of(browser.get(f"{echo_action}?message={second.replace(' ', '+')}").text())

    def post(browser: Browser, message: str) -> str:
        """Post `message` with the page's form; the history page's text afterwards."""
        form = history_form(browser)
        response = browser.post(form.action, {**form.fields, "message": message})
        if response.status in (301, 302, 303):
            response = browser.get(urlsplit(response.header("location")).path or page)
        elif not 200 <= response.status < 300:
            raise Failure(
                f"the history form's POST, with its fields and cookies, got status {response.status}",
                "post-refused",
                got=response.raw,
                status=response.status,
            )
        return webapp.text_of(webapp.ok(response, page).text())

    def listed(browser: Browser, message: str, text: str, who: str = "A") -> None:
        if message not in text:
            raise Failure(
                f"{message!r}, posted by client {who}, is not on the history page afterwards",
                "history-missing",
                message=message,
                who=who,
            )

    @exercise.check(f"{page} holds a POST form with a field 'message'", needs=needs)
    def history_page(ctx: Context) -> str:
        form = history_form(Browser(ctx))
        return f"a POST form to {form.action}, fields {', '.join(sorted(form.fields))}"

    @exercise.check("keeps every message posted, newest first", needs=("history-page",))
    def newest_first(ctx: Context) -> str:
        browser = Browser(ctx)
        older, newer = fresh("older"), fresh("newer")
        listed(browser, older, post(browser, older))
        text = post(browser, newer)
        listed(browser, newer, text)
        listed(browser, older, text)
        if text.index(older) < text.index(newer):
            raise Failure(f"{older!r} is listed before {newer!r}", "history-order", older=older, newer=newer)
        return f"{newer!r} above {older!r}"

    @exercise.check("shows the history to every visitor, on every request", needs=("newest-first",))
    def shared_history(ctx: Context) -> str:
        message = fresh("shared")
        post(Browser(ctx), message)
        for visit in range(4):  # new visitors, new connections: any worker process may answer each
            response = webapp.ok(Browser(ctx, "B").get(page), page)
            if message not in webapp.text_of(response.text()):
                raise Failure(
                    f"client B (new, no cookies; visit {visit + 1}) does not see {message!r}, posted by A",
                    "history-not-shared",
                    got=response.body,
                )
        return "4 new visitors saw A's message"

    @exercise.check("lists a <script> message as text", needs=("newest-first",))
    def history_escapes(ctx: Context) -> str:
        browser = Browser(ctx)
        message = fresh(webapp.SCRIPT)
        post(browser, message)
        webapp.escapes(browser.get(page), message)
        return "the <script> and the & are listed escaped"

    @exercise.check("refuses a POST without the form's token and cookies (CSRF)", needs=("newest-first",))
    def refuses_forgery(ctx: Context) -> str:
        form = history_form(Browser(ctx))
        message = fresh("forged")
        forged = Browser(ctx, "C").post(form.action, {"message": message})
        if message in webapp.text_of(Browser(ctx, "B").get(page).text()):
            raise Failure(
                f"a bare POST of {message!r} (no token, no cookie) was added",
                "no-csrf",
                got=forged.raw,
                message=message,
            )
        return f"the bare POST got status {forged.status} and was not added"
