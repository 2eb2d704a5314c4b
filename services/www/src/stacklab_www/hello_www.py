"""hello_www: every request gets the same "Hello, world!" page (course week 4 lab, port 8081).

The course's version ignored the request after one recv(1024) and sent a leading blank line and a header without
its colon, which modern clients reject. This one reads the request head properly and answers valid HTTP/1.0; the
page also carries the student's name (PREFIX), as the lab text asked.
"""

import html

from .server import HttpServer, Response, common_arguments
from .wire import Request

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Hello, world!</title></head>
<body>
<h1>Hello, world!</h1>
<p>from {prefix}</p>
</body>
</html>
"""


def make_handler(prefix: str):
    body = PAGE.format(prefix=html.escape(prefix)).encode()

    def handle(_request: Request) -> Response:
        return Response(200, body, "text/html; charset=utf-8")

    return handle


def main(argv: list[str] | None = None) -> int:
    parser = common_arguments("Answer every HTTP request with a Hello, world! page.", "HELLO_WWW_PORT", 8081)
    args = parser.parse_args(argv)
    return HttpServer("hello_www", make_handler(args.prefix), args).serve_forever()


if __name__ == "__main__":
    raise SystemExit(main())
