"""The course's Flask bookshop (week 7 assignment): `/` lists the books, `/detail/<id>` shows one."""

from flask import Blueprint, abort, render_template

from .bookdb import BookDB

bp = Blueprint("books", __name__)
db = BookDB()


@bp.get("/")
def index():
    books = db.titles()
    return render_template("index.html", books=books, num_books=len(books))


@bp.get("/detail/<book_id>")
def detail(book_id: str):
    try:
        info = db.title_info(book_id)
    except KeyError:
        abort(404, f"No book with id {book_id}.")  # the course's version answered 500 here
    return render_template("detail.html", book=info)
