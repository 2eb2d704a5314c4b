"""Writing one CGI response: a `Status:` header, real Content-Type, then the page, all as UTF-8 bytes.

run() is the one entry point of every program: a refused request becomes its status page, and any other error
is logged to stderr (Apache's error log) and answered with a generic 500 page, so no traceback reaches a client
(the course used cgitb, which printed tracebacks into the page).
"""

import html
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import BinaryIO

from stacklab_cgi.request import HttpError, drain_body

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
# Every page's link back to the lab index: a redirect program, since the static form page cannot build the URL.
LAB_LINK = '<footer><p><a href="/cgi-bin/lab_index.py">lab index</a></p></footer>'


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Mapping[str, str], BinaryIO], Response]


def html_page(title: str, body: str) -> str:
    """A complete HTML page, with the lab index link; `title` is escaped here, `body` must already be safe HTML."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "</head>\n"
        "<body>\n"
        f"{body}\n"
        f"{LAB_LINK}\n"
        "</body>\n"
        "</html>\n"
    )


def error_page(status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    heading = f"{status} {HTTPStatus(status).phrase}"
    body = html_page(heading, f"<h1>{html.escape(heading)}</h1>\n<p>{html.escape(detail)}</p>")
    return Response(status, body, headers=headers)


def write(response: Response, out: BinaryIO) -> None:
    head = [
        f"Status: {response.status} {HTTPStatus(response.status).phrase}",
        f"Content-Type: {response.content_type}",
        "Cache-Control: no-store",
        *(f"{name}: {value}" for name, value in response.headers),
    ]
    out.write(("\n".join(head) + "\n\n").encode("ascii") + response.body.encode("utf-8"))
    out.flush()


def run(handler: Handler, program: str) -> int:
    """Answer the request in os.environ and stdin with handler; returns the process exit status."""
    exit_status = 0
    try:
        response = handler(os.environ, sys.stdin.buffer)
    except HttpError as refused:
        response = error_page(refused.status, refused.detail, refused.headers)
    except Exception:
        sys.stderr.write(f"{program}: {traceback.format_exc()}")
        sys.stderr.flush()
        response = error_page(500, "The program failed; the details are in the server's error log.")
        exit_status = 1
    drain_body(os.environ, sys.stdin.buffer)
    write(response, sys.stdout.buffer)
    return exit_status
