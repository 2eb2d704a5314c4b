"""Every target: each HTTP app's pages and forms used from this machine as a browser would, through the front
server (Apache or nginx) on the port plan's port. Course section 2 lists the behaviours checked here."""

import http.client
import re

import pytest
import requests
from stacklab_core import checks
from stacklab_testing.web import PAGES, TIMEOUT, base_url, django_login, hidden, nonce, wsgi_post

ISBN = "978-1430230038"  # Foundations of Python Network Programming, in the Django and Flask book data


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=TIMEOUT, **kwargs)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_real_page_besides_healthz(target, name):
    """The lab's check of these apps is GET /healthz; this is one of their pages (web.PAGES)."""
    PAGES[name](target)


def test_hello_www(target):
    reply = get(base_url(target, "HELLO_WWW_PORT") + "/any/path")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "Hello, world!" in reply.text
    assert target.plan["ECHO_PREFIX"] in reply.text


def test_echo_www_echoes_the_path_escaped(target):
    base = base_url(target, "ECHO_WWW_PORT")
    assert f"{target.plan['ECHO_PREFIX']}: /a/b?x=1" in get(base + "/a/b?x=1").text
    # Sent raw (a browser would percent-encode it): the server must escape what it echoes.
    conn = http.client.HTTPConnection(target.address, target.port("ECHO_WWW_PORT"), timeout=TIMEOUT)
    try:
        conn.request("GET", "/<script>x</script>")
        body = conn.getresponse().read().decode()
    finally:
        conn.close()
    assert "&lt;script&gt;" in body
    assert "<script>" not in body


def test_ws30_listing_redirect_and_not_found(target):
    base = base_url(target, "WS30_PORT")
    listing = get(base + "/")
    assert listing.headers["Server"] == "ws30"
    folder = re.search(r'href="/?([^"./][^"]*)/"', listing.text)
    assert folder, f"no folder in the listing: {listing.text[:300]!r}"
    moved = get(f"{base}/{folder.group(1)}", allow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/{folder.group(1)}/")
    missing = get(base + "/nope")
    assert (missing.status_code, missing.text.strip()) == (404, "/nope not found")


def test_cgi_form_post_through_apache(target):
    base = base_url(target, "CGI_PORT")
    form = get(base + "/echo_cgi.html")
    assert form.status_code == 200
    assert 'action="cgi-bin/echo_cgi.py"' in form.text and 'name="message"' in form.text
    reply = requests.post(base + "/cgi-bin/echo_cgi.py", data={"message": "<b>Hi</b> there"}, timeout=TIMEOUT)
    assert reply.status_code == 200
    assert reply.headers["Server"] == "Apache"
    assert "Message: &lt;b&gt;Hi&lt;/b&gt; there" in reply.text
    assert "Message: None" in get(base + "/cgi-bin/echo_cgi.py").text


def test_wsgi_history_across_requests_and_clients(target):
    base = base_url(target, "WSGI_PORT")
    mark = nonce()
    alice = requests.Session()
    wsgi_post(alice, base, f"one {mark}")
    wsgi_post(alice, base, f"two {mark}")
    for reader in (alice, requests.Session()):  # a new client, another worker maybe: the same history
        page = reader.get(f"{base}/history", timeout=TIMEOUT).text
        assert page.index(f"two {mark}") < page.index(f"one {mark}"), "newest first"
    refused = requests.post(f"{base}/history", data={"message": "no token"}, timeout=TIMEOUT)
    assert refused.status_code == 403
    echoed = get(f"{base}/echo_wsgi.py", params={"message": f"<b>{mark}</b>"})
    assert echoed.status_code == 200
    assert f"<p>Message: &lt;b&gt;{mark}&lt;/b&gt;</p>" in echoed.text
    assert get(f"{base}/other").status_code == 404


def test_flask_echo_and_books(target):
    base = base_url(target, "FLASK_PORT")
    assert "Message: Hello" in get(base + "/echo_flask.py", params={"message": "Hello"}).text
    assert get(base + "/echo_flask.py").status_code == 400
    index = get(base + "/")
    assert sorted(set(re.findall(r'href="/detail/(id\d)"', index.text))) == [f"id{i}" for i in range(1, 6)]
    detail = get(base + "/detail/id3").text
    assert "Foundations of Python Network Programming" in detail and "John Goerzen" in detail
    assert get(base + "/detail/id9").status_code == 404
    style = re.search(r'<link rel="stylesheet" href="(/static/[^"]+\.css)"', index.text)
    assert style, f"no stylesheet linked from the index: {index.text[:300]!r}"
    sheet = get(base + style.group(1))  # nginx serves the package's static files itself (on a VM and in compose)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    assert sheet.text.strip(), "empty stylesheet"


def test_django_login_cart_logout(target):
    base = base_url(target, "DJANGO_PORT")
    anonymous = get(base + "/books/", allow_redirects=False)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].endswith("/accounts/login/?next=/books/")

    jon = django_login(base, "jon", target.secret("django_demo_password_jon"))
    books = jon.get(base + "/books/", timeout=TIMEOUT)
    assert books.status_code == 200 and "User:" in books.text and "jon" in books.text

    token = hidden(books.text, "csrfmiddlewaretoken")
    added = jon.post(f"{base}/books/cart/add/{ISBN}", data={"csrfmiddlewaretoken": token}, timeout=TIMEOUT)
    assert added.status_code == 200 and "Foundations of Python Network Programming" in added.text
    no_token = jon.post(f"{base}/books/cart/add/{ISBN}", timeout=TIMEOUT)
    assert no_token.status_code == 403

    cart = jon.get(base + "/books/cart/", timeout=TIMEOUT).text
    out = jon.post(base + "/accounts/logout/", data={"csrfmiddlewaretoken": hidden(cart, "csrfmiddlewaretoken")})
    assert out.status_code == 200 and "Logged out" in out.text
    assert jon.get(base + "/books/", allow_redirects=False, timeout=TIMEOUT).status_code == 302


def test_django_wrong_password_and_two_users(target):
    base = base_url(target, "DJANGO_PORT")
    session = requests.Session()
    form = session.get(base + "/accounts/login/", timeout=TIMEOUT)
    wrong = session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"), "username": "jon", "password": "x"},
        timeout=TIMEOUT,
    )
    assert wrong.status_code == 200 and "not a valid username or password" in wrong.text
    for name in ("jon", "brian"):
        user = django_login(base, name, target.secret(f"django_demo_password_{name}"))
        assert re.search(rf"User:</strong> {name}\b", user.get(base + "/books/", timeout=TIMEOUT).text)


def test_django_static_files_through_nginx(target):
    reply = get(base_url(target, "DJANGO_PORT") + "/static/admin/css/base.css")
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/css")


def test_lab_index_shows_every_service_healthy(target):
    """The index page checks every service from where it runs (inside the compose network, or on the VM)."""
    base = base_url(target, "LAB_PORT")
    status = get(base + "/status.json").json()
    states = {service["name"]: (service["ok"], service["detail"]) for service in status["services"]}
    assert set(states) == set(checks.CHECKS)
    assert all(ok for ok, _ in states.values()), {name: detail for name, (ok, detail) in states.items() if not ok}
    page = get(base + "/")
    assert page.status_code == 200 and f"{target.address}:{target.port('DJANGO_PORT')}" in page.text
