"""What the web app exercises share (cgi_echo, wsgi_echo, wsgi_history, flask_echo, flask_books; course.md
1.11-1.14): a browser-like client (HTTP/1.0 requests, a cookie jar, forms read from the page) and the checks of
the echo form and reply that read the same for CGI, WSGI and Flask.

These apps run behind a server the student did not write (http.server, Apache, wsgiref, gunicorn, Flask's), so
the response's framing is read leniently: a CGI server may pass the program's LF-only header lines through, and
ends the body by closing. What the app controls is graded: status codes, Content-Type, a Content-Length that it
set, the page's form and text. HEAD is the server's business too (wsgiref sends a body), so it is not graded here.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ..engine import Context, Failure
from . import http

SCRIPT = '<script>alert("x")</script> & co'  # a message that must come back as text
SPACES = ("one two & three", "one+two+%26+three")  # a message and its form encoding: '+' and %26
UNICODE = "héllo wörld ☃"
BAD_QUERY = "message=%ZZ%E9%80&&=&message"  # a broken escape, invalid UTF-8, empty names and values
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|cgitb|File &quot;|File \"/", re.I)
DEBUGGER = re.compile(r"Werkzeug Debugger|__debugger__|console\.png", re.I)


@dataclass
class Form:
    method: str
    action: str  # resolved against the page's path
    fields: dict[str, str] = field(default_factory=dict)  # every named input's value, hidden ones included


class Forms(HTMLParser):
    def __init__(self, base: str):
        super().__init__()
        self.base = base
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urljoin(self.base, attrs.get("action", "") or self.base)
            self.forms.append(Form(attrs.get("method", "GET").upper(), urlsplit(action).path))
        elif tag in ("input", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1].fields[attrs["name"]] = attrs.get("value", "")


def message_form(page: str, base: str) -> Form | None:
    """The page's first form with a field named `message`."""
    parser = Forms(base)
    parser.feed(page)
    return next((form for form in parser.forms if "message" in form.fields), None)


def links(page: str, base: str) -> list[tuple[str, str]]:
    """(path, link text) of every <a href> on the page, the path resolved against `base`."""
    found = re.findall(r"""<a\s[^>]*href\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a>""", page, re.I | re.S)
    return [(urlsplit(urljoin(base, href)).path, text_of(text)) for href, text in found]


def text_of(markup: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())


@dataclass
class Browser:
    """One visitor: its requests are client `name` in the transcript, and it keeps the cookies it is given."""

    ctx: Context
    name: str = "A"
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, target: str) -> http.Response:
        return self.request("GET", target)

    def post(self, target: str, fields: dict[str, str]) -> http.Response:
        body = urlencode(fields).encode()
        return self.request("POST", target, body, "application/x-www-form-urlencoded")

    def request(self, method: str, target: str, body: bytes = b"", kind: str = "") -> http.Response:
        host = f"[{self.ctx.host}]" if ":" in self.ctx.host else self.ctx.host
        head = [f"{method} {target} HTTP/1.0", f"Host: {host}:{self.ctx.port}", "User-Agent: stacklab-check"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            head += [f"Content-Type: {kind}", f"Content-Length: {len(body)}"]
        sent = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        peer = self.ctx.connect(self.name)
        if not peer.send(sent):
            raise Failure(f"client {self.name} could not send its request", "closed-without-reply")
        try:
            response = read(peer, sent, method == "HEAD")
        finally:  # at once, as a browser does: some servers (gunicorn's sync workers) wait for the client's close
            peer.close(quietly=True)
        for name, value in re.findall(r"(?im)^set-cookie:[ \t]*([^=;\s]+)=([^;\r\n]*)", response.raw.decode("latin-1")):
            self.cookies[name] = value
        return response


def read(peer, sent: bytes, head_only: bool = False) -> http.Response:
    """The response, to the server's close (HTTP/1.0); its head may end lines in LF alone (a CGI server passes
    the program's through). A Content-Length, when sent, must be the body's length (a HEAD's has no body)."""
    reply = peer.until_closed("the response")
    data = reply.data
    if not data:
        if reply.ended != "timeout":
            raise Failure(
                f"the server closed the connection without a response to {sent[:60]!r}", "closed-without-reply"
            )
        raise Failure(f"no response to {sent[:60]!r}", "no-reply", waited=f"timed out after {reply.waited:.1f} s")
    first = data.split(b"\n", 1)[0].removesuffix(b"\r")
    status = http.STATUS_LINE.fullmatch(first)
    if not status:
        raise Failure(f"the response begins with {first[:40]!r}, not a status line", "no-status-line", got=data)
    match = re.search(rb"\r?\n\r?\n", data)
    head, body = (data[: match.start()], data[match.end() :]) if match else (data, b"")
    headers = {}
    for line in re.split(rb"\r?\n", head)[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    length = headers.get("content-length")
    if length is not None and not head_only and (not length.isdigit() or int(length) != len(body)):
        raise Failure(
            f"Content-Length says {length}, the body has {len(body):,} bytes",
            "content-length-mismatch",
            got=data,
            said=length,
            size=len(body),
        )
    return http.Response(int(status[1]), headers, body, data)


def ok(response: http.Response, target: str) -> http.Response:
    """A 200 text/html page, or the Failure that says what it is instead."""
    if response.status != 200:
        hint = "traceback-shown" if TRACEBACK.search(response.text()) else "status-not-200"
        raise Failure(
            f"GET {target} gave status {response.status}, not 200",
            hint,
            got=response.raw,
            target=target,
            status=response.status,
        )
    if "content-type" not in response.headers:
        named = re.search(r"(?im)^(content[_ ]type[ \t]*:[^\r\n]*)", response.raw.decode("latin-1"))
        if named:
            raise Failure(
                f"GET {target} has no Content-Type header", "content-type-name", got=response.raw, line=named[1]
            )
    http.expect_html(response, target)
    return response


def crashed(response: http.Response) -> str:
    """Why the response is the app failing ('' if it is not): a 5xx, a traceback or debugger, an empty page."""
    text = response.text()
    if DEBUGGER.search(text):
        return "the Werkzeug debugger"
    if TRACEBACK.search(text):
        return "a traceback in the page"
    if response.status >= 500:
        return f"status {response.status}"
    if response.status == 200 and not response.body.strip():
        return "an empty page"
    return ""


def form_page(ctx: Context, page: str, action: str) -> str:
    """GET `page`: an HTML page holding a GET form whose action leads to `action` and whose field is `message`."""
    response = ok(Browser(ctx).get(page), page)
    form = message_form(response.text(), page)
    if form is None:
        raise Failure(
            f"GET {page} has no form with a field named 'message'", "form-missing", got=response.body, page=page
        )
    if form.action != action:
        raise Failure(
            f"the form's action leads to {form.action}, not {action}",
            "form-action",
            got=response.body,
            resolved=form.action,
            want=action,
        )
    if form.method != "GET":
        raise Failure(
            f"the form's method is {form.method}, not GET", "form-method", got=response.body, method=form.method
        )
    return f"a GET form to {action} with a field 'message'"


def echo_page(ctx: Context, action: str, query: str, name: str = "A") -> http.Response:
    target = f"{action}?{query}"
    return ok(Browser(ctx, name).get(target), target)


def expect_message(response: http.Response, message: str, hint: str, label: str = "Message:", **facts) -> None:
    """The page says `label message` (as a reader sees it), or Failure with `hint`."""
    if f"{label} {message}" not in text_of(response.text()):
        raise Failure(
            f"the reply does not say '{label} {message}'",
            hint,
            got=response.body,
            message=message,
            **facts,
        )


def echoes(ctx: Context, action: str) -> str:
    response = echo_page(ctx, action, "message=Hello")
    expect_message(response, "Hello", "echo-no-message")
    return "the reply says 'Message: Hello'"


def escapes(response: http.Response, message: str = SCRIPT) -> None:
    """`message` is on the page as text: escaped once, not live markup and not escaped twice."""
    page = response.text()
    if "<script" in page.lower():
        raise Failure("the message's <script> went into the page as markup", "unescaped-message", got=response.body)
    if message not in html.unescape(page):
        twice = html.escape(html.escape(message))
        if twice in page or html.escape(twice) in page:
            raise Failure("the message was escaped twice", "double-escaped", got=response.body)
        raise Failure(f"the page does not show {message!r}", "echo-no-message", got=response.body, message=message)


def escaped_echo(ctx: Context, action: str) -> str:
    escapes(echo_page(ctx, action, "message=" + quote(SCRIPT)))
    return "the <script> and the & came back escaped"


def form_decoding(ctx: Context, action: str) -> str:
    message, encoded = SPACES
    response = echo_page(ctx, action, "message=" + encoded)
    expect_message(response, message, "form-decoding", sent=encoded)
    return f"'{encoded}' read as '{message}'"


def non_ascii(ctx: Context, action: str) -> str:
    response = echo_page(ctx, action, "message=" + quote(UNICODE))
    if UNICODE not in text_of(response.text()):
        shown = re.search(r"Message:?\s*([^<]{0,40})", response.text())
        raise Failure(
            f"the reply does not show {UNICODE!r}",
            "non-ascii",
            got=response.body,
            want=UNICODE,
            shown=shown[1].strip() if shown else "",
        )
    return f"{UNICODE!r} came back as sent"


def no_crash(ctx: Context, target: str, hint: str, what: str) -> str:
    response = Browser(ctx).get(target)
    why = crashed(response)
    if why == "the Werkzeug debugger":
        raise Failure(f"{what} answered the interactive debugger", "debugger-exposed", got=response.body)
    if why == "a traceback in the page":
        raise Failure(f"{what} answered a Python traceback", "traceback-shown", got=response.body)
    if why:
        raise Failure(f"{what} answered {why}", hint, got=response.raw, what=why, query=target.partition("?")[2])
    return f"{what}: status {response.status}, no crash"


def empty_message(ctx: Context, action: str) -> str:
    for target in (f"{action}?message=", action):
        no_crash(ctx, target, "empty-message-crash", f"GET {target}")
    return "an empty and a missing message answered without a crash"


def bad_query(ctx: Context, action: str) -> str:
    return no_crash(ctx, f"{action}?{BAD_QUERY}", "bad-query-crash", "a malformed query")


def not_found(ctx: Context, target: str) -> str:
    response = Browser(ctx).get(target)
    if response.status != 404:
        raise Failure(
            f"GET {target} answered status {response.status}, not 404",
            "not-404",
            got=response.raw,
            target=target,
            status=response.status,
        )
    return f"GET {target}: 404"
