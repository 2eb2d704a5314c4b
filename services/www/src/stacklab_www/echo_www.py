"""echo_www: the page shows `PREFIX: <request target>` (course week 4 lab / week 5 solution, port 8082).

As in the course, the echoed text is the raw request target, query string included and not URL-decoded
(`GET /a/b?x=1` gives `uw-student: /a/b?x=1`). Unlike the course, it is HTML-escaped (the original reflected it
as is), the response is valid HTTP, and an empty or malformed request gets 400 instead of killing the server.
"""

import html

from .server import HttpServer, Response, common_arguments
from .wire import Request

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>echo_www</title></head>
<body>
<p>{text}</p>
</body>
</html>
"""


def make_handler(prefix: str):
    def handle(request: Request) -> Response:
        text = html.escape(f"{prefix}: {request.target}")
        return Response(200, PAGE.format(text=text).encode(), "text/html; charset=utf-8")

    return handle


def main(argv: list[str] | None = None) -> int:
    parser = common_arguments("Echo each request's target back in an HTML page.", "ECHO_WWW_PORT", 8082)
    args = parser.parse_args(argv)
    return HttpServer("echo_www", make_handler(args.prefix), args).serve_forever()


if __name__ == "__main__":
    raise SystemExit(main())
