"""A correct echo_cgi.py written as a WSGI application run by wsgiref.handlers.CGIHandler: the same program
could be served by any WSGI server; a missing or empty message gets a 400 page.

expect: pass
"""

import html
from urllib.parse import parse_qs
from wsgiref.handlers import CGIHandler


def application(environ, start_response):
    message = (parse_qs(environ.get("QUERY_STRING", "")).get("message") or [""])[0]
    if message:
        status, body = "200 OK", f"<p>Message: {html.escape(message)}</p>"
    else:
        status, body = "400 Bad Request", "<p>Please type a message.</p>"
    page = f"<!DOCTYPE html>\n<title>Echo response</title>\n{body}\n".encode()
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))])
    return [page]


CGIHandler().run(application)
