"""course.md section 2 item 11 (Flask bookshop) and section 3.1 data, through the Flask test client."""

import re

import pytest
from stacklab_flask.bookdb import BookDB

TITLES = {
    "id1": "CherryPy Essentials: Rapid Python Web Application Development",
    "id2": "Python for Software Design: How to Think Like a Computer Scientist",
    "id3": "Foundations of Python Network Programming",
    "id4": "Python Cookbook, Second Edition",
    "id5": "The Pragmatic Programmer: From Journeyman to Master",
}


def test_index_lists_five_books_sorted_by_id(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<title>Book Database</title>" in html
    assert "<h1>Books</h1>" in html
    assert "There are 5 titles." in html
    links = re.findall(r'<a href="(/detail/id\d)">([^<]*)</a>', html)
    assert [href for href, _ in links] == [f"/detail/id{n}" for n in range(1, 6)]
    assert {href.removeprefix("/detail/"): text for href, text in links} == TITLES


def test_detail_id3(client):
    r = client.get("/detail/id3")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<h1>Foundations of Python Network Programming</h1>" in html
    assert "ISBN: 978-1430230038" in html
    assert "Publisher: Apress; 2 edition (December 21, 2010)" in html
    assert "Author: John Goerzen" in html
    assert '<a href="/">Back</a>' in html


def test_oreilly_is_spelled_right_and_escaped(client):
    assert BookDB().title_info("id4")["publisher"] == "O'Reilly Media"
    html = client.get("/detail/id4").get_data(as_text=True)
    assert "Publisher: O&#39;Reilly Media" in html


@pytest.mark.parametrize("book_id", sorted(TITLES))
def test_every_detail_page(client, book_id):
    r = client.get(f"/detail/{book_id}")
    assert r.status_code == 200
    assert TITLES[book_id] in r.get_data(as_text=True)


@pytest.mark.parametrize("book_id", ["id9", "id0", "ID1", "<script>"])
def test_unknown_id_is_a_404_page_not_500(client, book_id):
    r = client.get(f"/detail/{book_id}")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "404 Not Found" in html
    assert "<script>" not in html


def test_title_info_returns_a_copy():
    db = BookDB()
    db.title_info("id1")["title"] = "changed"
    assert db.title_info("id1")["title"] == TITLES["id1"]


def test_title_info_unknown_id_raises_keyerror():
    with pytest.raises(KeyError):
        BookDB().title_info("id9")
