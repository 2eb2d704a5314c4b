"""course.md section 2 item 10 (Flask echo): F and M checks through the Flask test client."""

from html.parser import HTMLParser

import pytest

VOID = {"meta", "link", "input", "br", "img", "hr"}


class TagBalance(HTMLParser):
    """Records every element and fails on a closing tag that does not match the open one."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.attrs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        self.attrs.setdefault(tag, dict(attrs))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def parse(html: str) -> TagBalance:
    parser = TagBalance()
    parser.feed(html)
    parser.close()
    assert not parser.open, f"unclosed elements: {parser.open}"
    return parser


def test_form_page_is_valid_html_with_the_course_form(client):
    r = client.get("/echo_flask.html")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    page = parse(html)
    assert page.seen[:3] == ["html", "head", "meta"]  # the course's template lacked <html> and <head>
    assert page.attrs["form"] == {"method": "GET", "action": "echo_flask.py"}
    assert page.attrs["input"]["name"] == "message"
    assert "<title>Echo request</title>" in html


def test_message_page(client):
    r = client.get("/echo_flask.py?message=Hello")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert "Message: Hello" in r.get_data(as_text=True)
    parse(r.get_data(as_text=True))


def test_empty_message_echoes_nothing(client):
    r = client.get("/echo_flask.py?message=")
    assert r.status_code == 200
    assert "<p>Message: </p>" in r.get_data(as_text=True)


def test_missing_message_is_400(client):
    r = client.get("/echo_flask.py")
    assert r.status_code == 400
    assert "message parameter is missing" in r.get_data(as_text=True)


def test_post_is_405(client):
    assert client.post("/echo_flask.py", data={"message": "Hello"}).status_code == 405


def test_unknown_path_is_404_page(client):
    r = client.get("/nope")
    assert r.status_code == 404
    assert "404 Not Found" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<b>x</b>", "&lt;already&gt;"],
)
def test_message_is_escaped(client, payload):
    html = client.get("/echo_flask.py", query_string={"message": payload}).get_data(as_text=True)
    assert payload not in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>x</b>" not in html


def test_script_payload_is_shown_as_text(client):
    html = client.get("/echo_flask.py", query_string={"message": "<script>"}).get_data(as_text=True)
    assert "Message: &lt;script&gt;" in html


def test_100kb_message_is_refused_cleanly(client):
    r = client.get("/echo_flask.py", query_string={"message": "x" * 100_000})
    assert r.status_code == 400
    assert "longer than 1000 characters" in r.get_data(as_text=True)
    assert client.get("/echo_flask.py?message=still-alive").status_code == 200


def test_security_headers(client):
    r = client.get("/echo_flask.html")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_stylesheet_is_served(client):
    r = client.get("/static/style.css")
    assert r.status_code == 200
    assert r.mimetype == "text/css"
