"""Where the lab runs with its monitoring (a VM with the monitoring role, compose with `--profile monitoring`): the
lab's dashboard, drawn from the real Prometheus, renders in headless Chromium with a chart with points for every
gunicorn app (requests, 5xx share, p95 latency) and for the host (CPU, memory, disk) after a short load.

A stage whose run has Prometheus sets STACKLAB_MONITORING=1: then no data, no Prometheus or no Chromium is a
failure. Without it the module is skipped, by design (the stages allow that reason where monitoring is not run).
Chromium comes with the unit stage's host packages (./run's _host_packages).
"""

import os
import re
import struct
import subprocess
import time

import pytest
import requests
from stacklab_core import catalog
from stacklab_testing.browser import chromium
from stacklab_testing.web import TIMEOUT, base_url

pytestmark = [
    pytest.mark.scraped,
    pytest.mark.skipif(
        os.environ.get("STACKLAB_MONITORING") != "1", reason="monitoring is not part of this run (STACKLAB_MONITORING)"
    ),
]

APPS = [s for s in catalog.SERVICES.values() if s.gunicorn]
DRAWN = re.compile(r"<(polyline|circle) ")  # a chart with at least one point
WAIT = 60  # seconds for Prometheus to scrape the load (every 15 s; a rate needs two scrapes)


def charts(page: str) -> dict[str, list[str]]:
    """Row name -> its charts' SVG, for the apps' table and the host's."""
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", page)
    return {name: re.findall(r"<svg.*?</svg>", cells) for name, cells in rows}


def empty(page: str) -> list[str]:
    """What the dashboard does not draw yet: 'row: chart number' for each chart with no point, or the message."""
    if "Monitoring is not running" in page:
        return [re.sub(r"<[^>]+>", "", page.split("Monitoring is not running", 1)[1])[:300]]
    rows = charts(page)
    missing = [f"{s.name}: no row" for s in APPS if s.name not in rows]
    hosts = [name for name in rows if name not in {s.name for s in APPS}]
    missing += [] if hosts else ["no host row"]
    for name, svgs in rows.items():
        missing += [f"{name}: chart {i + 1}" for i, svg in enumerate(svgs) if not DRAWN.search(svg)]
    return missing


def test_the_dashboard_draws_every_chart_in_chromium(target, tmp_path):
    for service in APPS:  # a short load on every app, through its front
        for path in ("/healthz", "/", "/no-such-page"):
            requests.get(base_url(target, service.port_key) + path, timeout=TIMEOUT)
    url = base_url(target, "LAB_PORT") + "/dashboard"
    deadline = time.monotonic() + WAIT
    while missing := empty(requests.get(url, timeout=TIMEOUT).text):
        assert time.monotonic() < deadline, f"after {WAIT} s the dashboard still lacks: {missing}"
        time.sleep(3)

    browser = chromium(tmp_path / "profile")
    dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True, text=True, timeout=60).stdout
    assert "<h1>stacklab dashboard</h1>" in dom
    assert not empty(dom), empty(dom)
    assert all(len(svgs) == 3 for svgs in charts(dom).values())
    shot = tmp_path / "dashboard.png"
    subprocess.run([*browser, f"--screenshot={shot}", "--window-size=1000,700", url], capture_output=True, timeout=60)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1000, 700)
    assert len(png) > 20_000  # a blank page compresses to a few hundred bytes
