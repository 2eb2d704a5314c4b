"""HTTP/1.x on the wire, by hand: read one request head from a socket, build one response.

The course's servers did one recv(1024) and wrote LF-only, header-less replies that modern clients reject.
Here a request head is read until the blank line (CRLF CRLF, or bare LF LF from telnet-style clients), bounded in
size (and in time by the server's loop), and every response has a status line, Content-Type, Content-Length, Date
and Connection: close.
"""

import re
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

MAX_HEAD = 8192  # bytes of request line + headers; more is answered 431
_HEAD_END = re.compile(rb"\r?\n\r?\n")
# method SP request-target SP HTTP-version, printable ASCII only (no spaces or controls in the target)
_REQUEST_LINE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP/(1\.[01])")
_HEADER = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*")


class HttpError(Exception):
    """A request the server answers with an error status instead of handling it."""

    def __init__(self, status: int, message: str, received: bytes = b""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.received = received  # what the client had sent, for the log line


@dataclass
class Request:
    method: str
    target: str  # raw request target as sent, query string included, not decoded
    version: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def line(self) -> str:
        return f"{self.method} {self.target} HTTP/{self.version}"


def complete_head(data: bytes, limit: int = MAX_HEAD) -> bytes | None:
    """The head, up to and excluding the blank line that ends it, once `data` holds it; None while it does not;
    HttpError(431) when it is too large to ever be accepted."""
    if match := _HEAD_END.search(data):
        if match.start() > limit:
            raise HttpError(431, "request head too large", data)
        return data[: match.start()]
    if len(data) > limit:
        raise HttpError(431, "request head too large", data)
    return None


def parse_head(head: bytes) -> Request:
    """Parse request line and header fields; HttpError(400) for anything malformed."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise HttpError(400, "request head is not ASCII") from None
    line, *header_lines = re.split(r"\r?\n", text)
    match = _REQUEST_LINE.fullmatch(line)
    if not match:
        raise HttpError(400, "malformed request line")
    method, target, version = match.groups()
    headers = {}
    for header_line in header_lines:
        field_match = _HEADER.fullmatch(header_line)
        if not field_match:
            raise HttpError(400, "malformed header field")
        headers[field_match[1].lower()] = field_match[2]
    return Request(method, target, version, headers)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def response_head(
    status: int,
    content_type: str,
    length: int,
    headers: list[tuple[str, str]] | None = None,
    reason_phrase: str | None = None,
) -> bytes:
    lines = [
        f"HTTP/1.0 {status} {reason_phrase or reason(status)}",
        f"Date: {formatdate(usegmt=True)}",
        *(f"{name}: {value}" for name, value in headers or []),
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def printable(raw: bytes | str, limit: int = 200) -> str:
    """A request line made safe for a one-line log entry: controls and non-ASCII escaped, length capped."""
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    text = raw[:limit].decode("latin-1").encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return text + ("..." if len(raw) > limit else "")
