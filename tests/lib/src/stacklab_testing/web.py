"""HTTP helpers of the health suite: a session against one service of the target, form tokens, Django login."""

import re
import secrets
import shlex
import time

import requests
from stacklab_core.catalog import SERVICES

TIMEOUT = 10
# GET argv[1] with the server's own python3 (urllib: on Debian and in every image), the body on stdout.
FETCH = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"


def nonce() -> str:
    """Tells this run's messages and users from anything already stored (the data volumes outlive runs)."""
    return secrets.token_hex(4)


def get_inside(host, url: str) -> str:
    """URL's body, fetched on a testinfra host: for what listens on a server's loopback only."""
    return host.check_output(f"python3 -c {shlex.quote(FETCH)} {shlex.quote(url)}")


def base_url(target, port_key: str) -> str:
    return f"http://{target.address}:{target.port(port_key)}"


def hidden(page: str, name: str) -> str:
    """The value of the hidden form field `name` in an HTML page."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', page
    )
    assert match, f"no hidden field {name!r} in the page: {page[:300]!r}"
    return match.group(1)


def django_login(
    base: str, username: str, password: str, session: requests.Session | None = None, origin: str = ""
) -> requests.Session:
    """A session (a new one unless given) logged in through the login form (CSRF token included), as a browser
    does it. Over https a browser also sends the page's Referer and Origin, which Django's CSRF check compares
    with the site: `origin` (https://NAME) sends them."""
    session = session or requests.Session()
    # nginx lets one address post the login form 10 times a minute (a burst of 5): a suite that logs in faster
    # than a person gets 429 "wait a minute"; like a person it waits for the next slot (one every 6 s).
    deadline = time.monotonic() + 70
    while True:
        form = session.get(f"{base}/accounts/login/?next=/books/", timeout=TIMEOUT)
        assert form.status_code == 200, form.text[:300]
        reply = session.post(
            f"{base}/accounts/login/",
            data={
                "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
                "username": username,
                "password": password,
                "next": "/books/",
            },
            headers={"Referer": f"{origin}/accounts/login/", "Origin": origin} if origin else {},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        if reply.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(6.5)
    assert reply.status_code == 302, f"login as {username}: {reply.status_code} {reply.text[:300]!r}"
    assert reply.headers["Location"].endswith("/books/")
    assert "sessionid" in session.cookies
    return session


def post_message(session: requests.Session, url: str, message: str) -> requests.Response:
    """Add a message to a history through its form (CSRF token from the page, cookie from the session): the WSGI
    echo's /history and Flask's /messages take the same form."""
    page = session.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    reply = session.post(
        url, data={"csrf_token": hidden(page.text, "csrf_token"), "message": message}, allow_redirects=False,
        timeout=TIMEOUT,
    )  # fmt: skip
    assert reply.status_code == 303, f"POST {url}: {reply.status_code} {reply.text[:300]!r}"
    return reply


def wsgi_post(session: requests.Session, base: str, message: str) -> requests.Response:
    """Add a message to the WSGI echo's history."""
    return post_message(session, f"{base}/history", message)


# One real page of each HTTP app behind a front server, besides /healthz: an app whose health endpoint answers
# while its pages fail (templates, static, database, the CGI handler) fails here. Each raises AssertionError. The
# apps are those the catalog gives a deploy gate page (`page`); these look deeper than its one string.


def page_cgi(target) -> None:
    """Apache runs echo_cgi.py: the message comes back in the page, escaped."""
    mark = nonce()
    reply = requests.get(
        f"{base_url(target, 'CGI_PORT')}/cgi-bin/echo_cgi.py", params={"message": f"<{mark}>"}, timeout=TIMEOUT
    )
    assert reply.status_code == 200, f"echo_cgi.py: {reply.status_code} {reply.text[:300]!r}"
    assert f"<p>Message: &lt;{mark}&gt;</p>" in reply.text, reply.text[:300]


def page_wsgi(target) -> None:
    """The history page reads the SQLite store and renders its form with a CSRF token."""
    page = requests.get(f"{base_url(target, 'WSGI_PORT')}/history", timeout=TIMEOUT)
    assert page.status_code == 200, f"/history: {page.status_code} {page.text[:300]!r}"
    assert "<h1>Message history</h1>" in page.text
    assert hidden(page.text, "csrf_token")


def page_flask(target) -> None:
    """A book's detail page, from the book data through a template."""
    page = requests.get(f"{base_url(target, 'FLASK_PORT')}/detail/id3", timeout=TIMEOUT)
    assert page.status_code == 200, f"/detail/id3: {page.status_code} {page.text[:300]!r}"
    assert "Foundations of Python Network Programming" in page.text and "John Goerzen" in page.text


def page_django(target) -> None:
    """The login page renders its form with a CSRF token (sessions, templates and the middleware all work)."""
    page = requests.get(f"{base_url(target, 'DJANGO_PORT')}/accounts/login/", timeout=TIMEOUT)
    assert page.status_code == 200, f"/accounts/login/: {page.status_code} {page.text[:300]!r}"
    assert hidden(page.text, "csrfmiddlewaretoken")
    assert 'name="username"' in page.text and 'name="password"' in page.text


DEEPER = {"cgi": page_cgi, "wsgi": page_wsgi, "flask": page_flask, "django": page_django}


def gate_page(service):
    """The deploy gate's fetch of the service's catalog page, for an app without a deeper check."""

    def check(target) -> None:
        mark = nonce()
        path, want = (part.format(nonce=mark) for part in service.page)
        page = requests.get(f"{base_url(target, service.port_key)}{path}", timeout=TIMEOUT)
        assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:300]!r}"
        assert want in page.text, f"{path}: {want!r} not in {page.text[:300]!r}"

    return check


PAGES = {s.name: DEEPER.get(s.name) or gate_page(s) for s in SERVICES.values() if s.page}  # service name -> check
