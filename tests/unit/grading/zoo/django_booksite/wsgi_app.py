"""django_booksite, correct: Not Django at all: a plain WSGI function under wsgiref's threading server, the books
in a tuple, escaped with html.escape. The exercise grades what the site does, not the framework.

expect: pass
"""

import html
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

port = int(sys.argv[1])
BOOKS = {
    "978-1904811848": ("CherryPy Essentials: Rapid Python Web Application Development", "Sylvain Hellegouarch",
                       "Packt Publishing (March 31, 2007)"),
    "978-0521725965": ("Python for Software Design: How to Think Like a Computer Scientist", "Allen B. Downey",
                       "Cambridge University Press; 1 edition (March 16, 2009)"),
    "978-1430230038": ("Foundations of Python Network Programming", "John Goerzen",
                       "Apress; 2 edition (December 21, 2010)"),
}  # fmt: skip


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Book Database</title></head><body>{body}</body></html>"


def route(path: str) -> tuple[str, list, str]:
    if path == "/books":
        return "301 Moved Permanently", [("Location", "/books/")], ""
    if path == "/books/":
        items = "".join(f'<li><a href="detail/{i}">{html.escape(b[0])}</a></li>' for i, b in BOOKS.items())
        return "200 OK", [], page(f"<h1>Books</h1><ul>{items}</ul>")
    isbn = path.removeprefix("/books/detail/")
    if isbn != path and isbn in BOOKS:
        title, author, publisher = (html.escape(field) for field in BOOKS[isbn])
        facts = f"<li>ISBN: {isbn}</li><li>Publisher: {publisher}</li><li>Author: {author}</li>"
        return "200 OK", [], page(f'<h1>{title}</h1><ul>{facts}</ul><a href="/books/">Back</a>')
    return "404 Not Found", [], page("<p>404 - page not found</p>")


def app(environ, start_response):
    status, headers, body = route(environ["PATH_INFO"])
    data = body.encode()
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data))), *headers])
    return [data]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, app, server_class=Server, handler_class=Quiet).serve_forever()
