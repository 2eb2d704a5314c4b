"""The health gate of `fab deploy` and `fab rollback`, run on the control machine against the server's ports.

A /healthz can answer 200 while the app behind it is broken (a template error, a lost book list, a CSRF
secret that no longer signs), so the gate also fetches one real page of every app and looks for what only a
working app renders:

    django-page   GET /accounts/login/                   200, the form's CSRF token (csrfmiddlewaretoken)
    flask-page    GET /detail/id3                        200, the book's title
    wsgi-page     GET /history                           200, the form's CSRF token (csrf_token)
    cgi-page      GET /cgi-bin/echo_cgi.py?message=N     200, `Message: N` echoed (N fresh each time)

Rows are (name, ok, detail). service_rows() adds these to the health suite's checks (stacklab_core.checks),
https_rows() checks each https address the lab index links; wait_until_healthy() retries what fails.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stacklab_core import checks
from stacklab_core.catalog import SERVICES

Row = tuple[str, bool, str]
MAX_BODY = 1 << 20  # bytes read from any page: a broken server cannot make the gate hoard memory


@dataclass(frozen=True)
class Page:
    port_key: str  # in the port plan (stack.env)
    path: str  # {nonce} becomes a fresh token, so an echo cannot come from a cache
    must_contain: str


# The catalog's `page` of each service that has one, in catalog order: <service>-page.
PAGES = {f"{s.name}-page": Page(s.port_key, *s.page) for s in SERVICES.values() if s.page}


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[http.client.HTTPResponse, str]:
    try:
        conn.request("GET", path, headers={"User-Agent": "stacklab-gate"})
        response = conn.getresponse()
        return response, response.read(MAX_BODY).decode("utf-8", errors="replace")
    finally:
        conn.close()


def check_page(host: str, plan: Mapping[str, str], name: str, timeout: float = 3.0) -> Row:
    page = PAGES[name]
    nonce = secrets.token_hex(4)
    path, want = page.path.format(nonce=nonce), page.must_contain.format(nonce=nonce)
    try:
        response, body = _get(http.client.HTTPConnection(host, int(plan[page.port_key]), timeout=timeout), path)
        location = response.getheader("Location") or ""
        if response.status == 301 and location.startswith("https://"):
            # TLS on (docs/https.md): the app's plain port sends browsers to its https name; fetch the page there.
            url = urllib.parse.urlsplit(location)
            path = location
            https = https_connection(host, url.hostname or "", timeout, url.port or 443)
            response, body = _get(https, f"{url.path}?{url.query}" if url.query else url.path)
    except (OSError, http.client.HTTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc)
        return name, False, f"GET {path}: {reason}"
    if response.status != 200:
        return name, False, f"GET {path}: status {response.status}, expected 200"
    if want not in body:
        return name, False, f"GET {path}: {want!r} not in the page"
    return name, True, f"GET {path} 200, {want!r}"


def https_connection(host: str, name: str, timeout: float = 3.0, port: int = 443) -> http.client.HTTPSConnection:
    """A connection to NAME's https site at HOST (the server under test, wherever DNS points NAME), handshake
    done: the chain is verified for NAME against the system's roots, or STACKLAB_TLS_CA (a test CA's root)."""
    tls = ssl.create_default_context(cafile=os.environ.get("STACKLAB_TLS_CA") or None)
    connection = http.client.HTTPSConnection(name, port, timeout=timeout, context=tls)
    raw = socket.create_connection((host, port), timeout)
    try:
        connection.sock = tls.wrap_socket(raw, server_hostname=name)
    except BaseException:
        raw.close()
        raise
    return connection


def check_https(host: str, name: str, timeout: float = 3.0, port: int = 443) -> Row:
    """`https NAME`: its /healthz answers 200 at HOST over a verified chain (`fab status` rows with TLS on)."""
    row = f"https {name}"
    try:
        connection = https_connection(host, name, timeout, port)
        version = connection.sock.version()
        response, _body = _get(connection, "/healthz")
    except (OSError, http.client.HTTPException) as exc:  # ssl.SSLError is an OSError: a bad chain or name is here
        return row, False, str(exc)
    return row, response.status == 200, f"HTTP {response.status} over {version}"


def check_pages(host: str, plan: Mapping[str, str], names: Iterable[str] | None = None, timeout=3.0) -> list[Row]:
    """The named pages (default all), fetched at once, in PAGES order."""
    wanted = [name for name in PAGES if names is None or name in set(names)]
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        return list(pool.map(lambda name: check_page(host, plan, name, timeout), wanted))


def service_rows(target: str, plan: Mapping[str, str], names: Iterable[str] | None = None, timeout=3.0) -> list[Row]:
    """The health suite's checks and the app pages, from here; names (default all) may mix both kinds."""
    names = None if names is None else set(names)
    lab = [n for n in checks.CHECKS if names is None or n in names]
    rows = [(r.name, r.ok, r.detail) for r in checks.run(target, plan, lab, timeout)] if lab else []
    if names is None or names & PAGES.keys():
        rows += check_pages(target, plan, names, timeout)
    return rows


def https_rows(target: str, lab_port: str, timeout: float) -> list[Row]:
    """TLS on (the lab index links https addresses, docs/https.md): each name's /healthz over a verified chain,
    reached at the target address."""
    try:
        with urllib.request.urlopen(f"http://{target}:{lab_port}/status.json", timeout=timeout) as page:
            urls = [row["url"] for row in json.load(page)["services"] if (row["url"] or "").startswith("https://")]
    except (OSError, ValueError):
        return []  # the lab index's own check says why
    return [check_https(target, urllib.parse.urlsplit(url).hostname, timeout) for url in urls]


def wait_until_healthy(probe: Callable[[list[str] | None], list[Row]], seconds: float, pause: float = 1.0) -> list[Row]:
    """Probe everything, then again only what failed, until nothing fails or `seconds` are up; return the last
    failures (empty: healthy). probe(None) checks everything, probe(names) those rows (units are always checked)."""
    deadline = time.monotonic() + seconds
    names = None
    while True:
        failing = [row for row in probe(names) if not row[1]]
        if not failing or time.monotonic() > deadline:
            return failing
        names = [name for name, _ok, _detail in failing if not name.endswith(".service")] or None
        time.sleep(pause)


def describe(failing: list[Row]) -> str:
    return "; ".join(f"{name}: {detail}" for name, _ok, detail in failing)
