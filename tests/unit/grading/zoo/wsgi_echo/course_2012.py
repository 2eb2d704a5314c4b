"""The course's week06/echo_wsgi.py, ported to Python 3 as it was (course.md 1.12): routing on PATH_INFO, the
header `Content_type: text/HTML`, the message unescaped, a KeyError for a missing message, the "404" page with
status 200; served by wsgiref as the course's wsgi_simple_server.py did.

expect: content-type-name
"""

import sys
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

port = int(sys.argv[1])

form_page = """<head>
<title>Echo request</title>
</head>
<body>
<form method="GET" action="echo_wsgi.py">
<input type="text" name="message" size="40">
<input type="submit" value="Submit">
</form>
</body>
</html>
"""

message_template = """<html><head><title>Echo response</title></head><body>
Message: %s
</form></body></html>
"""

notfound_template = """<html><head><title>404 Not Found</title></head><body>
404 %s not found
</body></html>
"""


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/echo_wsgi.html":
        response = form_page
    elif path == "/echo_wsgi.py":
        form = parse_qs(environ["QUERY_STRING"])
        response = message_template % form["message"][0]
    else:
        response = notfound_template % path
    start_response("200 OK", [("Content_type", "text/HTML")])
    return [response.encode()]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, handler_class=QuietHandler).serve_forever()
