"""`stacklab-webclient links` (course §1.10 soup.py / scrape lab; checks §2 item 15) against the served course page."""

import re
from urllib.parse import urljoin

from stacklab_webclient.links import page_links

from tests.unit.servers import free_port
from tests.unit.webclient.helpers import COURSE_DIR, run_client

PAGE_HTML = (COURSE_DIR / "index.html").read_text()
PY_FILES = [
    "week01/echo_server.py",
    "week01/echo_client.py",
    "week02/echo_client.py",
    "week02/recho_server.py",
    "week04/hello_www.py",
    "week04/print_time.py",
    "week05/echo_www.py",
    "week05/ws30.py",
]


def test_external_prints_every_absolute_http_url(site):
    result = run_client("links", f"{site}/winter_2012/index.html", "--external")
    assert result.returncode == 0, result.stderr
    absolute = re.findall(r'href="(https?://[^"]+)"', PAGE_HTML)
    assert len(absolute) >= 5
    assert result.stdout.splitlines() == list(dict.fromkeys(absolute))


def test_suffix_lists_the_py_files_as_absolute_urls(site):
    page = f"{site}/winter_2012/index.html"
    result = run_client("links", page, "--suffix", ".py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{site}/winter_2012/{path}" for path in PY_FILES]


def test_all_links_resolved_against_the_page(site):
    page = f"{site}/winter_2012/index.html"
    result = run_client("links", page)
    links = result.stdout.splitlines()
    assert all(link.startswith(("http://", "https://")) for link in links)
    assert f"{site}/winter_2012/week01/directions.txt" in links
    assert f"{site}/winter_2012/week06echo_cgi.html" in links  # the course page's own broken link, resolved as is
    assert not any("#" in link for link in links)
    assert len(links) == len(set(links))
    # every relative href of the page appears, resolved against the page URL
    relative = [href for href in re.findall(r'href="([^"#]+)"', PAGE_HTML) if not href.startswith("http")]
    assert {urljoin(page, href) for href in relative} <= set(links)


def test_links_of_a_directory_url_resolve_against_it(site):
    result = run_client("links", f"{site}/winter_2012/")
    assert f"{site}/winter_2012/week01/" in result.stdout.splitlines()


def test_file_url_page(tmp_path):
    """The course advised scraping a local clone through file: URLs before hitting the real site."""
    page = (COURSE_DIR / "index.html").as_uri()
    result = run_client("links", page, "--suffix", ".py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [(COURSE_DIR / path).as_uri() for path in PY_FILES]


def test_http_page_cannot_point_at_local_files(site_of, tmp_path):
    (tmp_path / "page.html").write_text('<a href="file:///etc/passwd">x</a> <a href="ok.txt">ok</a>')
    base = site_of(tmp_path)
    result = run_client("links", f"{base}/page.html")
    assert result.stdout.splitlines() == [f"{base}/ok.txt"]


def test_unreachable_page_is_a_clear_error():
    result = run_client("links", f"http://127.0.0.1:{free_port()}/index.html")
    assert result.returncode == 2
    assert "cannot reach" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_page_is_a_clear_error(site):
    result = run_client("links", f"{site}/winter_2012/nope.html")
    assert result.returncode == 2
    assert "HTTP 404" in result.stderr


def test_unsupported_scheme_is_refused():
    result = run_client("links", "ftp://127.0.0.1/index.html")
    assert result.returncode == 2
    assert "only http, https, file URLs" in result.stderr


def test_page_links_rules():
    html = b"""<html><head><base href="/docs/"></head><body>
    <a href="a.py#section">a</a> <a href="a.py">again</a> <a href=" b.py ">spaces</a>
    <a href="mailto:x@example.test">mail</a> <a href="javascript:alert(1)">js</a> <a name="anchor-only">no href</a>
    <a href="//other.test/c.py">scheme-relative</a> <a href="HTTPS://other.test/D.PY">upper</a>
    </body></html>"""
    assert page_links(html, "http://127.0.0.1:1/site/index.html") == [
        "http://127.0.0.1:1/docs/a.py",
        "http://127.0.0.1:1/docs/b.py",
        "http://other.test/c.py",
        "https://other.test/D.PY",
    ]
