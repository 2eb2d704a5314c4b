"""The books table of the course (week 9): the ISBN, exactly as the course stored it, is the primary key and the
URL key (/books/detail/978-1904811848). It is not normalised, so the course's URLs keep working; note that one
book (978-0-596-00797-3) is fully hyphenated."""

from django.db import models


class Book(models.Model):
    isbn = models.CharField("ISBN", max_length=20, primary_key=True)
    title = models.CharField(max_length=160)
    author = models.CharField(max_length=80, help_text="Several authors as one comma-separated string.")
    publisher = models.CharField(max_length=80)

    class Meta:
        db_table = "books"
        # The course listed books in insertion order, which SQL does not promise: sort explicitly.
        ordering = ("title",)

    def __str__(self) -> str:
        return self.title
