"""What the Django exercises share (course.md 1.16-1.17): a client that keeps cookies and posts forms as a browser
does, one HTTP/1.0 request per connection through http.py (so every exchange lands in the transcript), the pages'
forms and links, and the course's login.

A site may put its books behind a login (the bookshop, and the lab's own site): `books_page` then logs in with the
Context's account (--user, --password) once per run and shares that session with the run's other checks.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import CookieError, Morsel, SimpleCookie
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

from ..engine import Context, Failure
from . import http

LOGIN = "/accounts/login/"  # Django's LOGIN_URL, which the course kept
REDIRECTS = (301, 302, 303, 307, 308)
# Markup in a URL: the pages must never send it back live. No '/', which would end a Django path segment.
MARKUP = "<img src=x onerror=alert(1)>"


@dataclass
class Form:
    action: str
    method: str
    inputs: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, value)

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.inputs)

    @property
    def hidden(self) -> dict[str, str]:
        return {n: v for n, t, v in self.inputs if t == "hidden" and n}

    @property
    def token(self) -> str | None:
        """The name of the form's CSRF token field, if it carries one."""
        return next((n for n in self.hidden if "csrf" in n.lower()), None)


class Parser(HTMLParser):
    """The forms (with their inputs) and the links (href, text) of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._link: list[str] | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag in ("input", "button") and self.forms and a.get("name"):
            self.forms[-1].inputs.append((a["name"], a.get("type", "text").lower(), a.get("value", "")))
        elif tag == "a" and "href" in a:
            self.links.append((a["href"], ""))
            self._link = []

    def handle_data(self, data):
        if self._link is not None:
            self._link.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links[-1] = (self.links[-1][0], " ".join("".join(self._link).split()))
            self._link = None


def text_of(response: http.Response) -> str:
    """The page's text: tags dropped, entities decoded, white space collapsed ("<b>ISBN:</b> 1" -> "ISBN: 1")."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", response.text())).split())


def path_of(url: str, host: str) -> str:
    """A link or Location as a path and query on the site at `host` ('' when it points to another host)."""
    parts = urlsplit(url)
    if parts.netloc and parts.hostname not in (host.strip("[]"), "localhost"):
        return ""
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def login_target(response: http.Response) -> str | None:
    """The `next` of a redirect to the login page, or None when the response is not one."""
    parts = urlsplit(response.header("location"))
    if response.status not in REDIRECTS or parts.path != LOGIN:
        return None
    return parse_qs(parts.query).get("next", [""])[0]


class Browser:
    """One client's cookies and requests; each request is a new connection (client `name` in the transcript)."""

    def __init__(self, ctx: Context, name: str = "A", cookies: dict[str, str] | None = None):
        self.ctx = ctx
        self.name = name
        self.cookies = dict(cookies or {})
        self.set_last: dict[str, Morsel] = {}  # the cookies the last response set
        host = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
        self.site = f"{host}:{ctx.port}"

    def request(self, method: str, target: str, form: dict[str, str] | None = None) -> http.Response:
        head = [f"{method} {target} HTTP/1.0", f"Host: {self.site}", "User-Agent: stacklab-check"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = urlencode(form or {}).encode()
        if method == "POST":  # a browser's form post, Origin included (Django compares it with Host)
            head += [f"Origin: http://{self.site}", "Content-Type: application/x-www-form-urlencoded"]
            head.append(f"Content-Length: {len(body)}")
        sent = ("\r\n".join(head) + "\r\n\r\n").encode() + (body if method == "POST" else b"")
        peer = self.ctx.connect(self.name)
        if not peer.send(sent):
            raise Failure(f"client {self.name} could not send its request", "closed-without-reply")
        try:  # to the close: HTTP/1.0, and a Django redirect has no Content-Length
            response = http.read(peer, sent, head_only=True)
        except Failure as failure:  # name the request, not all its bytes (the transcript has them)
            if failure.hint not in ("closed-without-reply", "no-reply"):
                raise
            raise Failure(f"no response to {method} {target}", failure.hint, waited=failure.waited) from None
        self.keep_cookies(response)
        return response

    def get(self, target: str) -> http.Response:
        return self.request("GET", target)

    def post(self, target: str, form: dict[str, str]) -> http.Response:
        return self.request("POST", target, form)

    def keep_cookies(self, response: http.Response) -> None:
        self.set_last = {}
        for line in re.findall(rb"(?im)^set-cookie:[ \t]*([^\r\n]*)", response.raw.partition(b"\r\n\r\n")[0]):
            jar = SimpleCookie()
            try:
                jar.load(line.decode("latin-1"))
            except CookieError:
                continue
            for name, morsel in jar.items():
                self.set_last[name] = morsel
                if morsel.value == "" or morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)  # how Django deletes a cookie
                else:
                    self.cookies[name] = morsel.value


def forms(response: http.Response) -> list[Form]:
    return Parser(response.text()).forms


def login_form(response: http.Response) -> Form | None:
    return next((f for f in forms(response) if any(t == "password" for _, t, _ in f.inputs)), None)


def open_login(browser: Browser, next_path: str = "/books/") -> tuple[str, http.Response, Form]:
    """GET the login page for `next_path` -> (its URL, the page, its login form); Failure when there is none."""
    url = f"{LOGIN}?next={quote(next_path, safe='/')}"
    page = browser.get(url)
    if page.status != 200:
        raise Failure(
            f"GET {url} gave status {page.status}", "status-not-200", got=page.raw, target=url, status=page.status
        )
    form = login_form(page)
    if form is None or form.method != "post" or not form.has("username"):
        raise Failure(
            f"the page at {url} has no POST form with 'username' and 'password'", "no-login-form", got=page.raw
        )
    return url, page, form


def submit_login(browser: Browser, password: str, next_path: str = "/books/", token: bool = True) -> http.Response:
    """Fill and post the login form as a browser would (its hidden fields, `next` included, and the account)."""
    url, _, form = open_login(browser, next_path)
    fields = form.hidden | {"username": browser.ctx.user, "password": password}
    if form.has("next"):
        fields["next"] = next_path
    if not token and form.token:
        del fields[form.token]
    response = browser.post(path_of(urljoin(url, form.action), browser.ctx.host) or url, fields)
    if response.status == 429:
        raise Failure("the login was refused: 429 Too Many Requests", "login-throttled", got=response.raw)
    return response


def log_in(ctx: Context, name: str = "A", next_path: str = "/books/") -> tuple[Browser, http.Response]:
    """A browser logged in with the account -> (it, the login's response); Failure when the login fails."""
    browser = Browser(ctx, name)
    response = submit_login(browser, ctx.password, next_path)
    if response.status not in REDIRECTS:
        raise Failure(
            f"logging in as {ctx.user!r} gave status {response.status}, not a redirect",
            "login-fails",
            got=response.raw,
            user=ctx.user,
        )
    return browser, response


def books_page(ctx: Context, target: str) -> tuple[Browser, http.Response]:
    """GET a page of the books; when the site sends it to the login page, log in (once per run) and ask again."""
    browser = Browser(ctx, "A", ctx.shared.get("cookies"))
    response = browser.get(target)
    if login_target(response) is None:
        return browser, response
    browser, _ = log_in(ctx, "L")
    ctx.shared["cookies"] = dict(browser.cookies)
    browser.name = "A"
    return browser, browser.get(target)


def expect_status(response: http.Response, method: str, target: str, status: int, hint: str, **facts) -> None:
    if response.status != status:
        raise Failure(
            f"{method} {target} gave status {response.status}, not {status}",
            hint,
            got=response.raw,
            target=target,
            status=response.status,
            **facts,
        )
