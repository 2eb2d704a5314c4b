"""The CGI lab's server for the cgi_echo zoo: http.server's CGIHTTPRequestHandler (the course's
`python -m CGIHTTPServer`, deprecated from Python 3.13 but still there), run as `python cgi_server.py PORT` in the
directory holding echo_cgi.html and cgi-bin/. Its fork path is off: forking, it drops root to `nobody`, who can
read neither the tests' temporary directories nor the venv; without, it runs each cgi-bin/*.py with this
interpreter in a subprocess, with the same CGI environment."""

import sys
from http.server import CGIHTTPRequestHandler, ThreadingHTTPServer


class Handler(CGIHTTPRequestHandler):
    have_fork = False


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
