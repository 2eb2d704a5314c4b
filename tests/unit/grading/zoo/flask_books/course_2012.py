"""The course's books site as week08.txt shows it (Conor Ryan's Flask solution, course.md 1.14), ported to Flask 3
as it was, with bookdb.py's data as it was: 'O''Reilly Media' is two string literals glued together, and an
unknown id is a KeyError (a 500). The templates, not in the course's repository, are the ones the Django copy
was "based on".

expect: oreilly
"""

import sys

from flask import Flask, render_template_string

port = int(sys.argv[1])
app = Flask(__name__)


class BookDB:
    def titles(self):
        return [dict(id=id, title=database[id]["title"]) for id in database]

    def title_info(self, id):
        return database[id]


# let's pretend we're getting this information from a database somewhere
database = {
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
        "publisher": "OReilly Media",  # the 2012 'O''Reilly Media': two literals glued together
        "author": "Alex Martelli, Anna Ravenscroft, David Ascher",
    },
    "id5": {
        "title": "The Pragmatic Programmer: From Journeyman to Master",
        "isbn": "978-0201616224",
        "publisher": "Addison-Wesley Professional (October 30, 1999)",
        "author": "Andrew Hunt, David Thomas",
    },
}

index_html = """<html><head><title>Book Database</title></head><body><h1>Books</h1>
<p>There are {{ num_books }} titles.</p>
<ul>{% for book in books %}<li><a href="/detail/{{ book.id }}">{{ book.title }}</a></li>{% endfor %}</ul>
</body></html>"""
detail_html = """<html><head><title>Book Database</title></head><body><h1>{{ title }}</h1>
<ul><li>ISBN: {{ isbn }}</li><li>Publisher: {{ publisher }}</li><li>Author: {{ author }}</li></ul>
<a href="/">Back</a></body></html>"""
db = BookDB()


@app.route("/")
def index():
    books = db.titles()
    return render_template_string(index_html, books=books, num_books=len(books))


@app.route("/detail/<id>")
def detail(id):
    return render_template_string(detail_html, **db.title_info(id))


app.run("127.0.0.1", port)
