"""HTTP helpers of the health suite: a session against one service of the target, form tokens, Django login."""

import re
import secrets

import requests

TIMEOUT = 10


def nonce() -> str:
    """Tells this run's messages and users from anything already stored (the data volumes outlive runs)."""
    return secrets.token_hex(4)


def base_url(target, port_key: str) -> str:
    return f"http://{target.address}:{target.port(port_key)}"


def hidden(page: str, name: str) -> str:
    """The value of the hidden form field `name` in an HTML page."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', page
    )
    assert match, f"no hidden field {name!r} in the page: {page[:300]!r}"
    return match.group(1)


def django_login(base: str, username: str, password: str) -> requests.Session:
    """A session logged in through the login form (CSRF token included), as a browser does it."""
    session = requests.Session()
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
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert reply.status_code == 302, f"login as {username}: {reply.status_code} {reply.text[:300]!r}"
    assert reply.headers["Location"].endswith("/books/")
    assert "sessionid" in session.cookies
    return session


def wsgi_post(session: requests.Session, base: str, message: str) -> requests.Response:
    """Add a message to the WSGI echo's history through its form (token from the page, cookie from the session)."""
    page = session.get(f"{base}/history", timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    reply = session.post(
        f"{base}/history",
        data={"csrf_token": hidden(page.text, "csrf_token"), "message": message},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert reply.status_code == 303, f"POST /history: {reply.status_code} {reply.text[:300]!r}"
    return reply
