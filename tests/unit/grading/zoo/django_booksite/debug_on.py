"""django_booksite, broken: Right pages, but run with DEBUG = True: every error page shows the settings and the URLconf.

expect: debug-on
"""

import sqlite3
import sys
import tempfile
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import include, path

port = int(sys.argv[1])
DB = Path(tempfile.mkdtemp()) / "books.db"
BOOKS = [
    ("978-1904811848", "CherryPy Essentials: Rapid Python Web Application Development", "Sylvain Hellegouarch",
     "Packt Publishing (March 31, 2007)"),
    ("978-0521725965", "Python for Software Design: How to Think Like a Computer Scientist", "Allen B. Downey",
     "Cambridge University Press; 1 edition (March 16, 2009)"),
    ("978-1430230038", "Foundations of Python Network Programming", "John Goerzen",
     "Apress; 2 edition (December 21, 2010)"),
]  # fmt: skip
with sqlite3.connect(DB) as db:
    db.execute("CREATE TABLE books (isbn varchar(20) PRIMARY KEY, title varchar(160), author varchar(80), "
               "publisher varchar(80))")  # fmt: skip
    db.executemany("INSERT INTO books VALUES (?, ?, ?, ?)", BOOKS)

INDEX = """<html><head><title>Book Database</title></head><body><h1>Books</h1><ul>
{% for isbn, title in books %}<li><a href="/books/detail/{{ isbn }}">{{ title }}</a></li>{% endfor %}
</ul></body></html>"""
DETAIL = """<html><head><title>Book Database</title></head><body><h1>{{ b.1 }}</h1><ul>
<li>ISBN: {{ b.0 }}</li><li>Publisher: {{ b.3 }}</li><li>Author: {{ b.2 }}</li></ul>
<p><a href="/books/">Back</a></p></body></html>"""


def rows(sql, *args):
    with sqlite3.connect(DB) as db:
        return db.execute(sql, args).fetchall()


def index(request):
    return render(request, "index.html", {"books": rows("SELECT isbn, title FROM books")})


def detail(request, isbn):
    found = rows("SELECT isbn, title, author, publisher FROM books WHERE isbn = ?", isbn)
    if not found:
        raise Http404("no such book")
    return render(request, "detail.html", {"b": found[0]})


books_urls = [path("", index), path("detail/<str:isbn>", detail)]
urlpatterns = [path("books/", include(books_urls))]

settings.configure(
    DEBUG=True,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY="zoo-only-key",
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"index.html": INDEX, "detail.html": DETAIL})]
            },
        }
    ],
)
django.setup()
from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the settings


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, get_wsgi_application(), handler_class=Quiet).serve_forever()
