"""How the HTTP exercises read a response (exercises/http.py parse) and a listing (ws30 links): each defect of
course.md section 4, items 6-7, is told apart by its own hint; what clients accept passes."""

import pytest
from stacklab_grading.engine import Failure
from stacklab_grading.exercises.http import parse
from stacklab_grading.exercises.ws30 import links

GOOD = b"HTTP/1.0 200 Okay\r\nServer: ws30\r\nContent-type: text/html\r\nContent-Length: 2\r\n\r\nhi"


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", "blank-before-status"),
        (b"<html>Hello, world!</html>", "no-status-line"),
        (b"HTTP/1.0 200 Okay\nServer: ws30\nContent-type: text/html\n\nhi\n", "bare-lf"),
        (b"HTTP/1.0 200 OK\r\nContent-Type text/html\r\nContent-Length: 2\r\n\r\nhi", "header-no-colon"),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nhi", "no-content-length"),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi", "content-length-mismatch"),
    ],
)
def test_a_defective_response_gets_its_hint(data, hint):
    with pytest.raises(Failure) as caught:
        parse(data)
    assert caught.value.hint == hint
    assert caught.value.got == data


def test_a_valid_response_is_read_whatever_its_reason_phrase_and_header_case():
    response = parse(GOOD)
    assert (response.status, response.media_type, response.body) == (200, "text/html", b"hi")
    assert response.header("Server") == "ws30"


def test_a_head_response_needs_no_body_and_may_keep_the_gets_content_length():
    assert parse(GOOD.removesuffix(b"hi"), head_only=True).body == b""


def test_a_listing_is_read_with_relative_or_absolute_links_and_directory_slashes():
    page = '<a href="..">..</a><a href="/sub/inner.html">i</a><a href=\'x.txt\'>x</a><a href="deeper/">d</a>'
    assert links(page, "/sub/") == ["..", "inner.html", "x.txt", "deeper"]
