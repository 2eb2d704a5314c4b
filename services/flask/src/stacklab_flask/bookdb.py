"""The course's book data layer (week 7 `bookdb.py`): "pretend we're getting this from a database".

Same interface as the course: `BookDB().titles()` lists `{"id", "title"}` dicts (here sorted by id, where the
course followed dict order), `title_info(id)` returns that book's title, isbn, publisher and author and raises
KeyError for an unknown id. Data as in the course, with "O'Reilly Media" spelled as intended.
"""

_BOOKS = {
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


class BookDB:
    def titles(self) -> list[dict[str, str]]:
        return [{"id": book_id, "title": _BOOKS[book_id]["title"]} for book_id in sorted(_BOOKS)]

    def title_info(self, book_id: str) -> dict[str, str]:
        return dict(_BOOKS[book_id])  # a copy: callers cannot change the data
