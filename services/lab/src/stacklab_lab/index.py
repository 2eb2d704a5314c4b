"""The lab index page: every service with what it is, its address and its live health (WSGI; stdlib and stacklab_core).

Routes: `/` the HTML page (refreshes itself), `/status.json` the same as JSON, `/healthz` "ok", `/dashboard` the
apps' and the host's charts from Prometheus (stacklab_lab.dashboard).
Env: LAB_PUBLIC_HOST (the address shown, default 127.0.0.1), LAB_TLS_DOMAIN (TLS on: services with an HTTPS name
link to https://<name>.<domain>/), LAB_TARGET_HOSTS (where the checks connect, see `checks.parse_targets`; default all
127.0.0.1; `compose`: each service by its compose name), LAB_CHECK_TIMEOUT (default 3 s), LAB_PROMETHEUS_URL (the
dashboard's Prometheus; unset: the dashboard says monitoring is not running), the port plan (`ports.load`), LAB_TRY_DIR
(where `./run try` writes NAME.json for a student's program in place of a service: its row says so and links its
grade, `/try/NAME`).
Check results are reused for LAB_CACHE_SECONDS (default 5) so that many open pages do not multiply the probes.

Served by gunicorn (`conf/gunicorn.conf.py`), or on its own: `python -m stacklab_lab.index [--host H] [--port P]`.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from stacklab_core import checks, metrics, ports
from stacklab_core.catalog import SERVICES

from stacklab_lab.dashboard import Dashboard

REFRESH_SECONDS = 15
DASHBOARD_REFRESH_SECONDS = 30
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.35rem 0.8rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.up { color: #146c2e; font-weight: bold; }
.down { color: #b3261e; font-weight: bold; }
.detail { color: #555; font-size: 0.9em; }
.try { color: #7a4a00; }
svg.chart { width: 240px; height: 60px; background: #f6f8fa; }
svg.chart polyline { fill: none; stroke: #1f6feb; stroke-width: 1.5; }
svg.chart line { stroke: #bbb; }
svg.chart circle { fill: #1f6feb; }
svg.chart text { font-size: 9px; fill: #555; }
"""
# The pages allow nothing but their own inline style (no scripts at all); the dashboard's charts are inline SVG.
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CSP = f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'"


class Index:
    """The WSGI application; one instance per process, sharing its cached check results between threads."""

    def __init__(
        self,
        plan: Mapping[str, str],
        targets: Mapping[str, str],
        public_host: str = "127.0.0.1",
        tls_domain: str = "",
        timeout: float = 3.0,
        cache_seconds: float = 5.0,
        try_dir: str = "",
        prometheus_url: str = "",
    ):
        self.plan, self.targets, self.public_host = plan, targets, public_host
        self.tls_domain = tls_domain  # TLS on: services with an HTTPS name link to it (catalog.Service.https)
        self.timeout, self.cache_seconds = timeout, cache_seconds
        self.try_dir = Path(try_dir) if try_dir else None  # `./run try`'s records, read on every request
        self._lock = threading.Lock()
        self._results: list[checks.Result] = []
        self._checked_at = float("-inf")
        self.dashboard = Dashboard(prometheus_url, cache_seconds)

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
        routes = {"/": self._page, "/status.json": self._json, "/healthz": self._healthz, "/dashboard": self._dashboard}
        if tried := re.fullmatch(r"/try/(\w+)", path):
            routes[path] = lambda: self._try_report(tried.group(1))
        if path not in routes:
            return _respond(start_response, "404 Not Found", "text/plain", f"{path} not found\n")
        if method not in ("GET", "HEAD"):
            allow = [("Allow", "GET, HEAD")]
            return _respond(start_response, "405 Method Not Allowed", "text/plain", "GET only\n", allow)
        status, content_type, body = routes[path]()
        return _respond(start_response, status, content_type, "" if method == "HEAD" else body)

    def status(self) -> list[dict]:
        """One row per service: name, summary, address, url, ok, detail, seconds."""
        rows = []
        for result in self._check():
            service = SERVICES[result.name]
            address = f"{self.public_host}:{self.plan.get(service.port_key, '?')}"  # '?': the check says why
            url = f"http://{address}/" if service.http else None
            if https_name := service.https_name(self.tls_domain):
                address, url = https_name, f"https://{https_name}/"
            rows.append(
                {
                    "name": result.name,
                    "summary": service.summary,
                    "address": address,
                    "url": url,
                    "try": self._tried(result.name),
                    **{key: value for key, value in asdict(result).items() if key != "name"},
                }
            )
        return rows

    def _check(self) -> list[checks.Result]:
        with self._lock:  # one probe run at a time; concurrent requests get its results
            if time.monotonic() - self._checked_at >= self.cache_seconds:
                self._results = checks.run(self.targets, self.plan, timeout=self.timeout)
                self._checked_at = time.monotonic()
            return self._results

    def _tried(self, name: str) -> dict | None:
        """`./run try`'s record of a student's program in place of the service (program, grade), or None."""
        try:
            return json.loads((self.try_dir / f"{name}.json").read_text()) if self.try_dir else None
        except (OSError, ValueError):
            return None

    def _try_report(self, name: str):
        if (record := self._tried(name)) is None:
            return "404 Not Found", "text/plain", f"no program of yours runs in place of {name}\n"
        return "200 OK", "text/plain; charset=utf-8", record["report"]

    def _healthz(self):
        return "200 OK", "text/plain", "ok"

    def _json(self):
        return "200 OK", "application/json", json.dumps({"services": self.status()}, indent=2) + "\n"

    def _page(self):
        rows = self.status()
        up = sum(row["ok"] for row in rows)
        body = "\n".join(_row(row) for row in rows)
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>stacklab</title>
<style>{STYLE}</style>
</head>
<body>
<h1>stacklab</h1>
<p>The services of "Internet Programming in Python" (UW, Winter 2012): {up} of {len(rows)} up.
This page checks them again every {REFRESH_SECONDS} s. Requests, errors, latency and the host's load:
<a href="/dashboard">the dashboard</a>.</p>
<table>
<thead><tr><th>service</th><th>what it is</th><th>address</th><th>health</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""
        return "200 OK", "text/html; charset=utf-8", page

    def _dashboard(self):
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{DASHBOARD_REFRESH_SECONDS}">
<title>stacklab dashboard</title>
<style>{STYLE}</style>
</head>
<body>
<h1>stacklab dashboard</h1>
<p><a href="/">Back to the index</a>. This page draws itself again every {DASHBOARD_REFRESH_SECONDS} s.</p>
{self.dashboard.body()}
</body>
</html>
"""
        return "200 OK", "text/html; charset=utf-8", page


def _row(row: dict) -> str:
    e = html.escape
    name = e(row["name"])
    if tried := row.get("try"):
        grade = "passes" if tried["passed"] else "fails"
        name += (
            f'<br><span class="try">your program: {e(tried["program"])}<br>exercise {e(tried["exercise"])} '
            f'{grade}: <a href="/try/{e(row["name"])}">{e(tried["summary"])}</a></span>'
        )
    address = f'<a href="{e(row["url"])}">{e(row["address"])}</a>' if row["url"] else e(row["address"])
    state = '<span class="up">up</span>' if row["ok"] else '<span class="down">down</span>'
    detail = f'<span class="detail">{e(row["detail"])} ({row["seconds"]:.2f} s)</span>'
    return f"<tr><td>{name}</td><td>{e(row['summary'])}</td><td>{address}</td><td>{state} {detail}</td></tr>"


def _respond(start_response, status: str, content_type: str, body: str, extra: list | None = None):
    data = body.encode()
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", CSP),
        *(extra or []),
    ]
    start_response(status, headers)
    return [data]


def make_app(environ: Mapping[str, str] = os.environ) -> Index:
    return Index(
        ports.load(),
        checks.parse_targets(environ.get("LAB_TARGET_HOSTS", "")),
        public_host=environ.get("LAB_PUBLIC_HOST") or "127.0.0.1",
        tls_domain=environ.get("LAB_TLS_DOMAIN", ""),
        timeout=float(environ.get("LAB_CHECK_TIMEOUT") or 3.0),
        cache_seconds=float(environ.get("LAB_CACHE_SECONDS") or 5.0),
        try_dir=environ.get("LAB_TRY_DIR", ""),
        prometheus_url=environ.get("LAB_PROMETHEUS_URL", ""),
    )


# Counted and timed, with /metrics in front (stacklab_core.metrics).
application = metrics.instrument(make_app(), "lab")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per request on stdout, not stderr
        print(f"{self.address_string()} {format % args}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab index page (standalone; gunicorn in containers).")
    parser.add_argument("--host", default=os.environ.get("BIND_HOST") or "0.0.0.0", help="env BIND_HOST, 0.0.0.0")
    parser.add_argument("--port", type=int, help="default: LAB_PORT of the port plan")
    args = parser.parse_args(argv)
    if args.port is None:
        try:
            args.port = ports.port(ports.load(), "LAB_PORT")
        except ValueError as exc:
            parser.error(str(exc))
    server = make_server(args.host, args.port, application, _ThreadingServer, _Handler)
    stop = lambda *_: threading.Thread(target=server.shutdown).start()  # noqa: E731 - shutdown() must not run in serve_forever's thread
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"lab index listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()
    server.server_close()
    print("lab index shutting down", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
