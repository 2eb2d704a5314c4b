"""Issue 9: every HTML page of the WSGI echo links back to the lab index, on the host the browser asked for."""

import pytest
import requests
from stacklab_wsgi.settings import Settings

from tests.unit.wsgi.helpers import post_message


def lab_link(url: str) -> str:
    return f'<footer><p><a href="{url}">lab index</a></p></footer>'


@pytest.fixture
def site(start_gunicorn):
    return start_gunicorn(workers=1, LAB_PORT="18090")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/echo_wsgi.html", 200),
        ("/echo_wsgi.py?message=Hi", 200),
        ("/history", 200),
        ("/other", 404),
        ("/echo_wsgi.py", 400),
    ],
)
def test_every_html_page_links_to_the_lab_index_at_lab_port(site, path, status):
    reply = requests.get(site.url(path), timeout=10)
    assert reply.status_code == status
    assert lab_link("http://127.0.0.1:18090/") in reply.text


def test_the_link_follows_the_host_the_browser_asked_for(site):
    reply = requests.get(site.url("/echo_wsgi.html"), headers={"Host": "Lab.Example.org:8084"}, timeout=10)
    assert lab_link("http://lab.example.org:18090/") in reply.text
    reply = requests.get(site.url("/echo_wsgi.html"), headers={"Host": "[::1]:8084"}, timeout=10)
    assert lab_link("http://[::1]:18090/") in reply.text


def test_a_malformed_host_is_not_reflected(site):
    reply = requests.get(site.url("/echo_wsgi.html"), headers={"Host": 'x"><script>y'}, timeout=10)
    assert "<script>" not in reply.text
    assert 'x"' not in reply.text and "x&quot;" not in reply.text
    assert lab_link("http://127.0.0.1:18090/") in reply.text  # gunicorn's SERVER_NAME: the address it serves on


def test_wsgi_lab_url_overrides_it_escaped(start_gunicorn):
    site = start_gunicorn(workers=1, WSGI_LAB_URL='https://lab.example.org/"x')
    with requests.Session() as session:
        assert post_message(site, session, "hello").status_code == 200  # followed the 303 to the history
        page = session.get(site.url("/history"), timeout=10).text
    assert lab_link("https://lab.example.org/&quot;x") in page


def test_lab_port_is_checked():
    assert Settings.from_env({}).lab_port == 8090
    assert Settings.from_env({"LAB_PORT": "9000"}).lab_port == 9000
    for bad in ["0", "65536", "port", ""]:
        with pytest.raises(ValueError, match="LAB_PORT must be a TCP port number"):
            Settings.from_env({"LAB_PORT": bad})
