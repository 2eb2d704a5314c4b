"""Issue 9: every CGI page links back to the lab index, through cgi-bin/lab_index.py, which redirects to it on
the host the browser asked for (the static form page cannot build that URL itself)."""

import pytest
import requests

from tests.unit.cgi.helpers import get, needs_apache, run_cgi

LAB_LINK = '<footer><p><a href="/cgi-bin/lab_index.py">lab index</a></p></footer>'


def test_generated_pages_link_to_the_lab_index(installed):
    assert LAB_LINK in get(installed, "echo_cgi.py", "message=Hi").body
    refused = run_cgi(installed["cgi_bin"] / "echo_cgi.py", {"REQUEST_METHOD": "DELETE"})
    assert (refused.status, LAB_LINK in refused.body) == (405, True)


def test_the_form_page_links_to_the_lab_index(installed):
    assert LAB_LINK in (installed["docroot"] / "echo_cgi.html").read_text()


@pytest.mark.parametrize(
    ("env", "location"),
    [
        ({"HTTP_HOST": "127.0.0.1:8083"}, "http://127.0.0.1:8090/"),
        ({"HTTP_HOST": "Lab.Example.org:8083", "LAB_PORT": "18090"}, "http://lab.example.org:18090/"),
        ({"HTTP_HOST": "[::1]:8083"}, "http://[::1]:8090/"),
        ({"HTTP_HOST": 'x"><script>', "SERVER_NAME": "cgi.example.org"}, "http://cgi.example.org:8090/"),
        ({"HTTP_HOST": "evil.example/path"}, "http://localhost:8090/"),
        ({"HTTP_HOST": "127.0.0.1:8083", "CGI_LAB_URL": "https://lab.example.org/"}, "https://lab.example.org/"),
    ],
)
def test_lab_index_redirects_to_the_lab_on_the_host_asked_for(installed, env, location):
    result = get(installed, "lab_index.py", **env)
    assert (result.status, result.headers["location"]) == (302, location)


def test_lab_index_refuses_a_bad_lab_port_and_other_methods(installed):
    bad = get(installed, "lab_index.py", HTTP_HOST="127.0.0.1", LAB_PORT="99999")
    assert bad.status == 500
    assert "LAB_PORT must be a TCP port number, not '99999'" in bad.stderr
    post = run_cgi(installed["cgi_bin"] / "lab_index.py", {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "0"})
    assert (post.status, post.headers["allow"]) == (405, "GET, HEAD")


@needs_apache
def test_following_the_form_pages_link_through_apache(start_apache):
    site = start_apache(lab_port="18090")  # the site template hands the plan's LAB_PORT to the programs
    page = requests.get(site.url("/echo_cgi.html"), timeout=10)
    assert LAB_LINK in page.text
    reply = requests.get(site.url("/cgi-bin/lab_index.py"), allow_redirects=False, timeout=10)
    assert reply.status_code == 302
    assert reply.headers["Location"] == "http://127.0.0.1:18090/"
