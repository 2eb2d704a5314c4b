"""The course's week07/echo_wsgi.py (the assignment's solution), ported to Python 3 as it was (course.md 1.12): a
process-global history string, each GET /echo_wsgi.py?message=... prepending `<br>` and the message, the reply
`Message ` and the whole history; `Content_type: text/HTML`; the "404" page with status 200.

expect: history-by-get
"""

import sys
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

port = int(sys.argv[1])
history = ""

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
Message %s
</form></body></html>
"""

notfound_template = """<html><head><title>404 Not Found</title></head><body>
404 %s not found
</body></html>
"""


def application(environ, start_response):
    global history
    path = environ["PATH_INFO"]
    if path == "/echo_wsgi.html":
        response = form_page
    elif path == "/echo_wsgi.py":
        form = parse_qs(environ["QUERY_STRING"])
        history = "<br>\n" + form["message"][0] + history
        response = message_template % history
    else:
        response = notfound_template % path
    start_response("200 OK", [("Content_type", "text/HTML")])
    return [response.encode()]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, handler_class=QuietHandler).serve_forever()
