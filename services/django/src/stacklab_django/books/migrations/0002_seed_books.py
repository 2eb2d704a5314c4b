"""The five books of the course's bookdb.py (week 7), which the assignment asked the Django site to use.

The course's Django database held only the first three; the rebuild seeds all five. ISBNs are kept as stored.
The Python Cookbook's publisher is "O'Reilly Media": the course's literal lost the apostrophe.
"""

from django.db import migrations

BOOKS = [
    {
        "isbn": "978-1904811848",
        "title": "CherryPy Essentials: Rapid Python Web Application Development",
        "author": "Sylvain Hellegouarch",
        "publisher": "Packt Publishing (March 31, 2007)",
    },
    {
        "isbn": "978-0521725965",
        "title": "Python for Software Design: How to Think Like a Computer Scientist",
        "author": "Allen B. Downey",
        "publisher": "Cambridge University Press; 1 edition (March 16, 2009)",
    },
    {
        "isbn": "978-1430230038",
        "title": "Foundations of Python Network Programming",
        "author": "John Goerzen",
        "publisher": "Apress; 2 edition (December 21, 2010)",
    },
    {
        "isbn": "978-0-596-00797-3",
        "title": "Python Cookbook, Second Edition",
        "author": "Alex Martelli, Anna Ravenscroft, David Ascher",
        "publisher": "O'Reilly Media",
    },
    {
        "isbn": "978-0201616224",
        "title": "The Pragmatic Programmer: From Journeyman to Master",
        "author": "Andrew Hunt, David Thomas",
        "publisher": "Addison-Wesley Professional (October 30, 1999)",
    },
]


def seed(apps, schema_editor):
    book_model = apps.get_model("books", "Book")
    for book in BOOKS:
        book_model.objects.update_or_create(isbn=book["isbn"], defaults=book)


def unseed(apps, schema_editor):
    apps.get_model("books", "Book").objects.filter(isbn__in=[book["isbn"] for book in BOOKS]).delete()


class Migration(migrations.Migration):
    dependencies = (("books", "0001_initial"),)
    operations = (migrations.RunPython(seed, unseed),)
