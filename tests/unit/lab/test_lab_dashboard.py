"""The lab's dashboard (stacklab_lab.dashboard): charts drawn from what Prometheus' query_range API answers, label
values escaped, and a clear message, quickly, when Prometheus is not set, not there or silent. A real Prometheus
draws it in the health suite (tests/health/test_dashboard.py); here a server answers as its API does."""

import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from stacklab_core import checks
from stacklab_lab import dashboard
from stacklab_lab.index import Index

from tests.unit.lab.helpers import plan
from tests.unit.lab.test_lab_index import call
from tests.unit.servers import free_port

NASTY = '<b>"host"</b>'  # an instance label that must show as text


class PrometheusAPI(BaseHTTPRequestHandler):
    """/api/v1/query_range as Prometheus answers it: wsgi's series with a gap and a lone point after it, the lab's
    flat, nothing for flask and django; one host named NASTY. Every query is recorded."""

    queries: ClassVar[list[str]] = []

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        args = dict(urllib.parse.parse_qsl(url.query))
        self.queries.append(args["query"])
        start, step = float(args["start"]), float(args["step"])
        times = [start + step * i for i in range(121)]
        if "by (app" in args["query"]:
            wsgi = [[t, "NaN" if 60 <= i < 119 or i == 120 else str(i % 7)] for i, t in enumerate(times)]
            result = [
                {"metric": {"app": "wsgi"}, "values": wsgi},
                {"metric": {"app": "lab"}, "values": [[t, "2"] for t in times]},
            ]
        else:
            result = [{"metric": {"instance": NASTY}, "values": [[t, "40"] for t in times]}]
        body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}}).encode()
        self.send_response(200 if url.path == "/api/v1/query_range" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def prometheus():
    server = ThreadingHTTPServer(("127.0.0.1", 0), PrometheusAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    PrometheusAPI.queries = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def page(url: str) -> tuple[str, dict, str, float]:
    index = Index(plan(), checks.parse_targets(""), prometheus_url=url, timeout=0.5)
    started = time.monotonic()
    status, headers, body = call(index, "/dashboard")
    return status, headers, body, time.monotonic() - started


def rows(body: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", body))


def test_charts_from_prometheus(prometheus):
    status, headers, body, _ = page(prometheus)
    assert status == "200 OK" and "script-src" not in headers["Content-Security-Policy"]
    assert len(PrometheusAPI.queries) == len(dashboard.PANELS)
    charts = rows(body)
    assert list(charts) == ["wsgi", "flask", "django", "lab", "&lt;b&gt;&quot;host&quot;&lt;/b&gt;"]
    assert NASTY not in body and "<b>" not in body
    # wsgi: a line of 60 points, its gap, then a lone point (a dot); the latest value is the last one known.
    wsgi = charts["wsgi"]
    assert wsgi.count("<polyline") == 3 and wsgi.count("<circle") == 3
    assert all(len(line.split()) == 60 for line in re.findall(r'<polyline points="([^"]*)"', wsgi))
    assert "now 0/s" in wsgi  # point 119: 119 % 7
    assert charts["flask"].count("no data") == 3 and "<polyline" not in charts["flask"]
    lab = charts["lab"]
    assert lab.count("<polyline") == 3 and "max 2/s, now 2/s" in lab
    assert rows(body)["&lt;b&gt;&quot;host&quot;&lt;/b&gt;"].count(">now 40%<") == 3


def test_the_index_links_the_dashboard(prometheus):
    index = Index(plan(), checks.parse_targets(""), prometheus_url=prometheus, timeout=0.5)
    assert '<a href="/dashboard">' in call(index, "/")[2]


def test_no_prometheus_set_says_so():
    status, _, body, took = page("")
    assert status == "200 OK" and took < 0.5
    assert "Monitoring is not running" in body and "LAB_PROMETHEUS_URL is not set" in body
    assert "<svg" not in body


def test_prometheus_away_or_silent_says_so_quickly(fake_server, monkeypatch):
    _, _, body, took = page(f"http://127.0.0.1:{free_port()}")
    assert "Monitoring is not running" in body and "refused" in body and took < 1
    monkeypatch.setattr(dashboard, "TIMEOUT", 0.5)
    silent = fake_server(lambda conn: time.sleep(5))  # takes the connection, never answers
    _, _, body, took = page(f"http://127.0.0.1:{silent}")
    assert "Monitoring is not running" in body and f"127.0.0.1:{silent}" in body
    assert took < 1.5, f"the page waited {took:.1f} s"
