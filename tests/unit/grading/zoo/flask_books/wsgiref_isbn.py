"""A correct books site without a framework ("any Python technology may be used"): a WSGI function on wsgiref,
detail pages keyed by ISBN (/book/<isbn>.html), every value escaped, 404 for anything else.

expect: pass
"""

import html
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

port = int(sys.argv[1])
BOOKS = [  # title, isbn, publisher, author
    (
        "CherryPy Essentials: Rapid Python Web Application Development",
        "978-1904811848",
        "Packt Publishing (March 31, 2007)",
        "Sylvain Hellegouarch",
    ),
    (
        "Python for Software Design: How to Think Like a Computer Scientist",
        "978-0521725965",
        "Cambridge University Press; 1 edition (March 16, 2009)",
        "Allen B. Downey",
    ),
    (
        "Foundations of Python Network Programming",
        "978-1430230038",
        "Apress; 2 edition (December 21, 2010)",
        "John Goerzen",
    ),
    (
        "Python Cookbook, Second Edition",
        "978-0-596-00797-3",
        "O'Reilly Media",
        "Alex Martelli, Anna Ravenscroft, David Ascher",
    ),
    (
        "The Pragmatic Programmer: From Journeyman to Master",
        "978-0201616224",
        "Addison-Wesley Professional (October 30, 1999)",
        "Andrew Hunt, David Thomas",
    ),
]
BY_ISBN = {book[1]: book for book in BOOKS}
e = html.escape


def application(environ, start_response):
    path = environ["PATH_INFO"]
    isbn = path.removeprefix("/book/").removesuffix(".html")
    if path == "/":
        items = "".join(f'<li><a href="book/{e(b[1])}.html">{e(b[0])}</a></li>' for b in sorted(BOOKS))
        status, body = "200 OK", f"<h1>Books</h1><ul>{items}</ul>"
    elif path.startswith("/book/") and isbn in BY_ISBN:
        title, isbn, publisher, author = BY_ISBN[isbn]
        facts = f"<dl><dt>ISBN</dt><dd>{e(isbn)}</dd><dt>Publisher</dt><dd>{e(publisher)}</dd>"
        facts += f"<dt>Author</dt><dd>{e(author)}</dd></dl>"
        status, body = "200 OK", f'<h1>{e(title)}</h1>{facts}<a href="/">All books</a>'
    else:
        status, body = "404 Not Found", f"<p>{e(path)}: no such page</p>"
    data = f"<!DOCTYPE html><title>Book Database</title>{body}".encode()
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, application, handler_class=QuietHandler).serve_forever()
