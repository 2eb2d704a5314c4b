"""The app's HTML pages. Every value from a request goes through html.escape (the course's pages did not)."""

import html
from http import HTTPStatus

MESSAGE_MAX_CHARS = 1000


def page(title: str, body: str, lab_url: str) -> str:
    """A complete HTML page with a link back to the lab index; `title` and `lab_url` are escaped here, `body` must
    already be safe HTML."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "</head>\n"
        "<body>\n"
        f"{body}\n"
        f'<footer><p><a href="{html.escape(lab_url)}">lab index</a></p></footer>\n'
        "</body>\n"
        "</html>\n"
    )


def echo_form(lab_url: str) -> str:
    return page(
        "Echo request",
        "<h1>Echo request</h1>\n"
        '<form method="GET" action="echo_wsgi.py">\n'
        "<p>\n"
        '<label for="message">Message</label>\n'
        '<input type="text" id="message" name="message" size="40">\n'
        '<input type="submit" value="Submit">\n'
        "</p>\n"
        "</form>\n"
        '<p><a href="history">Message history</a>: messages that everyone posted, kept by the server.</p>',
        lab_url,
    )


def echo_response(message: str, lab_url: str) -> str:
    return page("Echo response", f"<p>Message: {html.escape(message)}</p>", lab_url)


def history(messages: list[str], token: str, history_url: str, lab_url: str) -> str:
    items = "".join(f"<li>{html.escape(message)}</li>\n" for message in messages)
    listing = f"<ol>\n{items}</ol>" if messages else "<p>No messages yet.</p>"
    return page(
        "Message history",
        "<h1>Message history</h1>\n"
        f'<form method="POST" action="{html.escape(history_url)}">\n'
        "<p>\n"
        f'<input type="hidden" name="csrf_token" value="{html.escape(token)}">\n'
        '<label for="message">Message</label>\n'
        f'<input type="text" id="message" name="message" size="40" maxlength="{MESSAGE_MAX_CHARS}">\n'
        '<input type="submit" value="Submit">\n'
        "</p>\n"
        "</form>\n"
        "<h2>Messages, newest first</h2>\n"
        f"{listing}",
        lab_url,
    )


def error(status: int, detail: str, lab_url: str) -> str:
    heading = f"{status} {HTTPStatus(status).phrase}"
    return page(heading, f"<h1>{html.escape(heading)}</h1>\n<p>{html.escape(detail)}</p>", lab_url)


def not_found(path: str, lab_url: str) -> str:
    """As the course's page: title "404 Not Found", body `404 <path> not found` (now with status 404)."""
    return page("404 Not Found", f"<p>404 {html.escape(path)} not found</p>", lab_url)
