"""Helpers of the WSGI app's tests: the site's address, its form, its history page, the nginx site rendered."""

import re
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.unit.harness import render_template

ROOT = Path(__file__).resolve().parents[3]

CONF = ROOT / "services" / "wsgi" / "conf"

GUNICORN_CONF = CONF / "gunicorn.conf.py"

NGINX_TEMPLATE = CONF / "nginx-site.conf.j2"


@dataclass
class Site:
    port: int
    server: object  # the start_server Server: .log(), .wait_for_log(), .stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, f"no CSRF token in the history page:\n{page}"
    return match.group(1)


def post_message(site: Site, session: requests.Session, message: str) -> requests.Response:
    """Post as the history page's form does: fetch the page (cookie + token), then POST."""
    token = csrf_token(session.get(site.url("/history"), timeout=10).text)
    return session.post(site.url("/history"), data={"message": message, "csrf_token": token}, timeout=10)


def history_items(page: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", page, re.DOTALL)


def render_nginx_site(**variables) -> str:
    return render_template(NGINX_TEMPLATE, **variables)
