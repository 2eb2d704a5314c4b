"""A login flood as an attacker sends it, for the Django bookshop's throttle (nginx limit_req on the login paths,
django-axes behind it): wrong passwords through the real form (CSRF token and cookie), from a chosen source
address, with forged client-address headers; and a normal page timed while it runs."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

from stacklab_testing.web import TIMEOUT, hidden

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
WRONG = "not a valid username or password"  # the bookshop's login form
ADMIN_WRONG = "Please enter the correct username and password"  # the admin's
LOCKED = "Account locked: too many login attempts"  # django-axes' lockout response
SHED = "Too many login attempts from your address"  # nginx's (services/django/conf/nginx-site.conf.j2)
FORGED = {"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "203.0.113.8"}  # a client's claim the front must ignore


class SourceAdapter(HTTPAdapter):
    """Connections from a given local address (127.0.0.2 is loopback too: a second client on one machine)."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(source: str | None = None) -> requests.Session:
    session = requests.Session()
    if source:
        session.mount("http://", SourceAdapter(source))
    return session


def attempt(base: str, path: str, username: str, password: str, source: str | None = None) -> requests.Response:
    """One login through the form at `path`, with the client-address headers forged: the POST's response."""
    with session_from(source) as browser:
        form = browser.get(f"{base}{path}", timeout=TIMEOUT)
        assert form.status_code == 200, f"GET {path}: {form.status_code} {form.text[:200]!r}"
        data = {"csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"), "username": username,
                "password": password}  # fmt: skip
        return browser.post(f"{base}{path}", data=data, headers=FORGED, allow_redirects=False, timeout=TIMEOUT)


def outcome(reply: requests.Response) -> str:
    """'refused' (the form again: the password was checked), 'locked' (django-axes' 429), 'shed' (nginx's 429),
    'in' (302) or 'other ...'."""
    if reply.status_code == 200 and (WRONG in reply.text or ADMIN_WRONG in reply.text):
        return "refused"
    if reply.status_code == 429:
        return "locked" if LOCKED in reply.text else "shed" if SHED in reply.text else f"429 {reply.text[:120]!r}"
    if reply.status_code == 302:
        return "in"
    return f"other {reply.status_code} {reply.text[:120]!r}"


def flood(base: str, username: str, count: int = 30, source: str | None = None, page: str = "/healthz",
          workers: int = 4) -> tuple[dict[str, list[str]], list[tuple[float, int]]]:  # fmt: skip
    """`count` wrong passwords for `username` on each login path (`workers` at a time), while one other client
    GETs `page` over and over -> (path -> outcomes in the order sent, the page's (seconds, status) each time)."""
    done = threading.Event()
    times: list[tuple[float, int]] = []

    def watch():
        with requests.Session() as reader:
            while not done.is_set():
                start = time.monotonic()
                reply = reader.get(f"{base}{page}", timeout=TIMEOUT)
                times.append((time.monotonic() - start, reply.status_code))
                time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(workers) as pool:
            results = {path: list(pool.map(lambda _, p=path: attempt(base, p, username, "wrong-guess", source),
                                           range(count))) for path in LOGIN_PATHS}  # fmt: skip
    finally:
        done.set()
        watcher.join(TIMEOUT)
    return {path: [outcome(r) for r in replies] for path, replies in results.items()}, times
