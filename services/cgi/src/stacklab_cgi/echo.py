"""The course's echo_cgi.py: the page "Echo response" with `Message: <message>`, escaped.

As in 2012, a missing or empty message reads `Message: None` (the cgi module dropped blank values).
Apache runs it as cgi-bin/echo_cgi.py; by hand: `QUERY_STRING=message=Hi python -m stacklab_cgi.echo`.
"""

import html
from collections.abc import Mapping
from typing import BinaryIO

from stacklab_cgi.request import read_form
from stacklab_cgi.response import Response, html_page, run


def echo(environ: Mapping[str, str], stdin: BinaryIO) -> Response:
    messages = read_form(environ, stdin).get("message")
    message = messages[0] if messages else None
    return Response(200, html_page("Echo response", f"<p>Message: {html.escape(str(message))}</p>"))


def main() -> int:
    return run(echo, "echo_cgi.py")


if __name__ == "__main__":
    raise SystemExit(main())
