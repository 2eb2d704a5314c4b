"""A correct hello_www on http.server: ThreadingHTTPServer and a BaseHTTPRequestHandler that answers every method
with the page (HEAD with its headers only); the library parses requests and answers malformed ones 400.

expect: pass
"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, prefix = int(sys.argv[1]), sys.argv[2]
PAGE = f"<html><head><title>hello_www</title></head><body><p>Hello, world! ({prefix})</p></body></html>\n".encode()


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def answer(self, body=True):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        if body:
            self.wfile.write(PAGE)

    def do_GET(self):
        self.answer()

    do_POST = do_PUT = do_DELETE = do_GET

    def do_HEAD(self):
        self.answer(body=False)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Hello).serve_forever()
