"""Reading one CGI request (RFC 3875) with urllib.parse: Python 3.13 removed the cgi module.

The server hands the request over in environment variables (REQUEST_METHOD, QUERY_STRING, CONTENT_TYPE,
CONTENT_LENGTH) and, for a POST, the body on stdin. Every read is bounded, and bad input becomes an HttpError
with the status a client should see, never an exception that reaches the page.
"""

import os
import re
from collections.abc import Mapping
from typing import BinaryIO
from urllib.parse import parse_qsl

METHODS = ("GET", "HEAD", "POST")
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024  # a form with one text field never needs more; Apache's LimitRequestBody is larger
MAX_QUERY_BYTES = 8 * 1024  # Apache refuses longer request lines (LimitRequestLine 8190) anyway
MAX_FIELDS = 100
DRAIN_LIMIT = 16 * 1024 * 1024  # beyond Apache's LimitRequestBody (1 MiB in the site template)

Form = dict[str, list[str]]


class HttpError(Exception):
    """A request the program refuses, with the HTTP status and a short explanation for the client."""

    def __init__(self, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def text(value: str) -> str:
    """An environment value as clean text: os.environ keeps undecodable bytes as surrogates, which cannot be
    printed as UTF-8; they become U+FFFD instead."""
    return os.fsencode(value).decode("utf-8", "replace")


def read_form(environ: Mapping[str, str], stdin: BinaryIO, keep_blank_values: bool = False) -> Form:
    """The form fields of a GET (query string) or a urlencoded POST (body first, then the query string).

    Blank values are dropped unless keep_blank_values, as the cgi module did: so an empty `message` is missing.
    Malformed percent-escapes stay literal and invalid UTF-8 becomes U+FFFD.
    """
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if method not in METHODS:
        raise HttpError(405, f"method {method} is not allowed here", (("Allow", ", ".join(METHODS)),))
    query = text(environ.get("QUERY_STRING", ""))
    if len(query) > MAX_QUERY_BYTES:
        raise HttpError(414, f"the query string is longer than {MAX_QUERY_BYTES} bytes")
    pairs = _parse(query, keep_blank_values)
    if method == "POST":
        pairs = _parse(_read_body(environ, stdin).decode("utf-8", "replace"), keep_blank_values) + pairs
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


def _parse(data: str, keep_blank_values: bool) -> list[tuple[str, str]]:
    try:
        return parse_qsl(data, keep_blank_values=keep_blank_values, errors="replace", max_num_fields=MAX_FIELDS)
    except ValueError:  # raised only when there are more than MAX_FIELDS fields
        raise HttpError(400, f"the form has more than {MAX_FIELDS} fields") from None


def _read_body(environ: Mapping[str, str], stdin: BinaryIO) -> bytes:
    content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if content_type not in ("", FORM_TYPE):
        raise HttpError(415, f"a POST body must be {FORM_TYPE}, not {text(content_type)}")
    declared = environ.get("CONTENT_LENGTH", "").strip()
    if declared and not re.fullmatch(r"[0-9]{1,12}", declared):
        raise HttpError(400, "Content-Length is not a number")
    too_large = HttpError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if declared and int(declared) > MAX_BODY_BYTES:
        raise too_large  # refused before reading a byte of it
    # Without a length (a chunked request, which the server passes on as is) read to EOF, one byte over the limit.
    body = _read_up_to(stdin, int(declared) if declared else MAX_BODY_BYTES + 1)
    if declared and len(body) < int(declared):
        raise HttpError(400, "the body is shorter than its Content-Length")
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    return body


def drain_body(environ: Mapping[str, str], stdin: BinaryIO) -> None:
    """Read and drop what is left of a request body (bounded). mod_cgid connects stdin and stdout to one socket:
    a program that exits with unread input resets it, and Apache loses the reply, such as a 413 page."""
    if environ.get("REQUEST_METHOD", "GET").upper() == "POST" or environ.get("CONTENT_LENGTH", "").strip():
        try:
            while _read_up_to(stdin, DRAIN_LIMIT):
                pass
        except OSError:
            pass  # nothing more can be read; the reply still goes out


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0 and (chunk := stream.read(min(remaining, 65536))):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
