"""Plain-WSGI plumbing (PEP 3333): reading a request safely and sending a response as bytes with real headers.

The course's echo_wsgi sent `Content_type: text/HTML` and a "404" page with status 200; here every response has a
correct status, `Content-Type` with a charset, `Content-Length`, and security headers.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 16 * 1024  # a 1,000-character message, fully percent-encoded 4-byte UTF-8, plus the token
MAX_FIELDS = 20
# A Host header: a name or an IPv4 or [IPv6] address, then maybe a port (group 1: without the port).
HOST_HEADER = re.compile(r"([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE)
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    ("Cache-Control", "no-store"),
)


class HttpError(Exception):
    """A request the app refuses: the status and a short explanation for the client."""

    def __init__(self, status: int, detail: str, headers: Iterable[tuple[str, str]] = ()):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = list(headers)


@dataclass
class Response:
    status: int
    body: str
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)


def wsgi_text(value: str) -> str:
    """PEP 3333 hands over the raw bytes of paths and query strings as latin-1 text: decode them as UTF-8,
    invalid sequences as U+FFFD."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


class Request:
    def __init__(self, environ: Mapping):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.script_name = wsgi_text(environ.get("SCRIPT_NAME", "")).rstrip("/")
        self.path = wsgi_text(environ.get("PATH_INFO", "")) or "/"
        self.https = environ.get("wsgi.url_scheme") == "https"

    def host_name(self) -> str:
        """The host the client asked for, without its port: the Host header, else the server's name, whichever is
        well-formed first (both come from the client's text), else localhost."""
        for candidate in (self.environ.get("HTTP_HOST", ""), self.environ.get("SERVER_NAME", "")):
            if match := HOST_HEADER.fullmatch(candidate):
                return match.group(1).lower()
        return "localhost"

    def url(self, path: str) -> str:
        """An absolute path inside the app, wherever it is mounted."""
        return f"{self.script_name}{path}"

    def query(self) -> dict[str, list[str]]:
        return _fields(wsgi_text(self.environ.get("QUERY_STRING", "")))

    def cookie(self, name: str) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(self.environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return None
        return jar[name].value if name in jar else None

    def form(self) -> dict[str, list[str]]:
        """The fields of a urlencoded body, read with a bound."""
        content_type = self.environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if content_type != FORM_TYPE:
            raise HttpError(415, f"send the form as {FORM_TYPE}")
        declared = self.environ.get("CONTENT_LENGTH", "").strip()
        if declared and not re.fullmatch(r"[0-9]{1,12}", declared):
            raise HttpError(400, "Content-Length is not a number")
        too_large = HttpError(413, f"the form is larger than {MAX_BODY_BYTES} bytes")
        if declared and int(declared) > MAX_BODY_BYTES:
            raise too_large
        body = self.environ["wsgi.input"].read(int(declared) if declared else MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise too_large
        return _fields(body.decode("utf-8", "replace"))


def _fields(data: str) -> dict[str, list[str]]:
    """Form fields; blank values are kept so that an empty message can be told from a missing one."""
    try:
        pairs = parse_qsl(data, keep_blank_values=True, errors="replace", max_num_fields=MAX_FIELDS)
    except ValueError:  # more than MAX_FIELDS fields
        raise HttpError(400, f"the form has more than {MAX_FIELDS} fields") from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def send(response: Response, method: str, start_response) -> list[bytes]:
    body = response.body.encode("utf-8")
    headers = [
        ("Content-Type", response.content_type),
        ("Content-Length", str(len(body))),
        *SECURITY_HEADERS,
        *response.headers,
    ]
    start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
    return [] if method == "HEAD" else [body]
