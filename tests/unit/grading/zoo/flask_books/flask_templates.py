"""A correct books site in Flask: bookdb's five books (sorted by id), templates that escape, /detail/<id> with
abort(404) for an unknown id.

expect: pass
"""

import sys

from flask import Flask, abort, render_template_string

port = int(sys.argv[1])
app = Flask(__name__)
BOOKS = {
    "id1": {
        "title": "CherryPy Essentials: Rapid Python Web Application Development",
        "isbn": "978-1904811848",
        "publisher": "Packt Publishing (March 31, 2007)",
        "author": "Sylvain Hellegouarch",
    },
    "id2": {
        "title": "Python for Software Design: How to Think Like a Computer Scientist",
        "isbn": "978-0521725965",
        "publisher": "Cambridge University Press; 1 edition (March 16, 2009)",
        "author": "Allen B. Downey",
    },
    "id3": {
        "title": "Foundations of Python Network Programming",
        "isbn": "978-1430230038",
        "publisher": "Apress; 2 edition (December 21, 2010)",
        "author": "John Goerzen",
    },
    "id4": {
        "title": "Python Cookbook, Second Edition",
        "isbn": "978-0-596-00797-3",
        "publisher": "O'Reilly Media",
        "author": "Alex Martelli, Anna Ravenscroft, David Ascher",
    },
    "id5": {
        "title": "The Pragmatic Programmer: From Journeyman to Master",
        "isbn": "978-0201616224",
        "publisher": "Addison-Wesley Professional (October 30, 1999)",
        "author": "Andrew Hunt, David Thomas",
    },
}
INDEX = """<!DOCTYPE html><title>Book Database</title><h1>Books</h1>
<p>There are {{ books|length }} titles.</p>
<ul>{% for id, book in books.items() %}<li><a href="/detail/{{ id }}">{{ book.title }}</a></li>{% endfor %}</ul>"""
DETAIL = """<!DOCTYPE html><title>Book Database</title><h1>{{ book.title }}</h1>
<ul><li>ISBN: {{ book.isbn }}</li><li>Publisher: {{ book.publisher }}</li><li>Author: {{ book.author }}</li></ul>
<p><a href="/">Back</a></p>"""


@app.route("/")
def index():
    return render_template_string(INDEX, books=dict(sorted(BOOKS.items())))


@app.route("/detail/<book_id>")
def detail(book_id):
    if book_id not in BOOKS:
        abort(404)
    return render_template_string(DETAIL, book=BOOKS[book_id])


app.run("127.0.0.1", port)
