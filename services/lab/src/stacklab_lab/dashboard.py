"""The lab's dashboard (`/dashboard`): each gunicorn app's request rate, share of 5xx answers and p95 latency over the
last hour, and the host's CPU, memory and disk, as small SVG charts drawn here, on the server, from Prometheus'
query_range API: no JavaScript, no Grafana (not in Debian).

The apps' series are their own metrics (stacklab_core.metrics), the host's the node exporter's; both are
Prometheus' (the monitoring role on a VM, `docker compose --profile monitoring`), at LAB_PROMETHEUS_URL. Unset, or
no answer within TIMEOUT: the page says that monitoring is not running, and never waits longer.
"""

import html
import json
import math
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from stacklab_core.catalog import SERVICES

WINDOW = 3600  # seconds of history: the last hour
STEP = 30  # seconds between points: 121 per series
TIMEOUT = 2.0  # seconds for Prometheus' every answer, and (plus a little) for all of them
WIDTH, HEIGHT = 240, 60  # one chart's drawing area, in px


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    expr: str  # PromQL, one series per `by` label
    by: str  # "app" (a catalog service) or "instance" (a host)
    floor: float  # the y axis reaches at least this high, so that noise near 0 stays flat


REQUESTS = "stacklab_http_requests_total"
DISKS = '{fstype!~"tmpfs|ramfs"}'
PANELS = (
    Panel("requests", "/s", f"sum by (app) (rate({REQUESTS}[1m]))", "app", 1.0),
    # Apps with no 5xx at all have no such series: `or` gives them 0 (0/0 when idle: a gap).
    Panel(
        "5xx answers",
        "%",
        f'100 * (sum by (app) (rate({REQUESTS}{{status=~"5.."}}[1m])) or 0 * sum by (app) (rate({REQUESTS}[1m])))'
        f" / sum by (app) (rate({REQUESTS}[1m]))",
        "app",
        5.0,  # the alert's threshold
    ),
    Panel(
        "p95 latency",
        " ms",
        "1000 * histogram_quantile(0.95, sum by (app, le) (rate(stacklab_http_request_duration_seconds_bucket[1m])))",
        "app",
        100.0,
    ),
    Panel(
        "CPU", "%", '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[1m])))', "instance", 10.0
    ),
    Panel(
        "memory used", "%", "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)", "instance", 100
    ),
    # The fullest real file system (in a container, / is an overlay the node exporter leaves out; its bind mounts
    # show the disk beneath).
    Panel(
        "disk used (fullest)",
        "%",
        f"max by (instance) (100 * (1 - node_filesystem_avail_bytes{DISKS} / node_filesystem_size_bytes{DISKS}))",
        "instance",
        100.0,
    ),
)
APPS = tuple(s.name for s in SERVICES.values() if s.gunicorn)  # the services with their own metrics

Series = list[tuple[float, float]]  # (unix time, value); NaN: no value then


class Unavailable(Exception):
    """Prometheus is not there, not answering in time, or not answering as Prometheus does."""


def query_range(url: str, expr: str, start: float, end: float) -> dict[str, Series]:
    """One query_range call -> {the `by` label's value, or the series' labels: points}."""
    query = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": STEP})
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/query_range?{query}", timeout=TIMEOUT) as answer:  # noqa: S310 - the operator's URL
            body = json.load(answer)
        return {_name(r["metric"]): [(float(t), float(v)) for t, v in r["values"]] for r in body["data"]["result"]}
    except urllib.error.HTTPError as error:
        raise Unavailable(f"HTTP {error.code} for {expr!r}") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Unavailable(str(getattr(error, "reason", error)) or type(error).__name__) from None


def _name(metric: dict) -> str:
    return metric.get("app") or metric.get("instance") or ",".join(f"{k}={v}" for k, v in sorted(metric.items()))


def fetch(url: str, now: float | None = None) -> dict[str, dict[str, Series]]:
    """Every panel's series, asked for at once; Unavailable if any is missing after TIMEOUT (plus a little)."""
    end = now if now is not None else time.time()
    pool = ThreadPoolExecutor(len(PANELS), thread_name_prefix="dashboard")
    try:
        jobs = {panel.title: pool.submit(query_range, url, panel.expr, end - WINDOW, end) for panel in PANELS}
        _, late = wait(jobs.values(), timeout=TIMEOUT + 0.5)
        if late:
            raise Unavailable(f"no answer within {TIMEOUT:g} s")
        return {title: job.result() for title, job in jobs.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a thread still stuck in a read ends at its own timeout


class Dashboard:
    """The page, its data kept for cache_seconds so that many open pages make one set of queries."""

    def __init__(self, url: str, cache_seconds: float = 5.0):
        self.url, self.cache_seconds = url, cache_seconds
        self._lock = threading.Lock()  # one set of queries at a time; the requests meanwhile get its outcome
        self._data: dict | Unavailable | None = None
        self._at = float("-inf")

    def data(self) -> dict[str, dict[str, Series]]:
        if not self.url:
            raise Unavailable("LAB_PROMETHEUS_URL is not set")
        with self._lock:
            if self._data is None or time.monotonic() - self._at >= self.cache_seconds:
                try:
                    self._data = fetch(self.url)
                except Unavailable as error:
                    self._data = error
                self._at = time.monotonic()
            data = self._data
        if isinstance(data, Unavailable):
            raise data
        return data

    def body(self) -> str:
        """The page's <body> content."""
        e = html.escape
        try:
            data = self.data()
        except Unavailable as why:
            where = f" at {e(self.url)}" if self.url else ""
            return (
                f'<p class="down">Monitoring is not running: no answer from Prometheus{where} ({e(str(why))}).</p>\n'
                "<p>Start it (on a VM: the monitoring role; in compose: <code>docker compose --profile monitoring "
                "up -d</code>), then reload this page. docs/observability.md says more.</p>"
            )
        end = time.time()
        apps = [p for p in PANELS if p.by == "app"]
        host = [p for p in PANELS if p.by == "instance"]
        head = "".join(f"<th>{e(p.title)}</th>" for p in apps)
        rows = "\n".join(
            f"<tr><td>{e(app)}</td>{''.join(_cell(p, data[p.title].get(app, []), end) for p in apps)}</tr>"
            for app in APPS
        )
        instances = sorted({name for p in host for name in data[p.title]}) or ["(no node exporter)"]
        host_head = "".join(f"<th>{e(p.title)}</th>" for p in host)
        host_rows = "\n".join(
            f"<tr><td>{e(name)}</td>{''.join(_cell(p, data[p.title].get(name, []), end) for p in host)}</tr>"
            for name in instances
        )
        return (
            f"<p>The last hour, a point every {STEP} s, from Prometheus at {e(self.url)}.</p>\n"
            f"<h2>Apps</h2>\n<table>\n<thead><tr><th>service</th>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n"
            f"</table>\n<h2>Host</h2>\n<table>\n<thead><tr><th>host</th>{host_head}</tr></thead>\n<tbody>\n"
            f"{host_rows}\n</tbody>\n</table>"
        )


def _cell(panel: Panel, points: Series, end: float) -> str:
    return f"<td>{chart(points, end - WINDOW, end, panel.unit, panel.floor)}</td>"


def _number(value: float, unit: str) -> str:
    return f"{value:.3g}{unit}" if abs(value) < 1000 else f"{value:,.0f}{unit}"


def chart(points: Series, start: float, end: float, unit: str, floor: float) -> str:
    """One series as an inline SVG: its line (broken where there is no value), the y axis' top and the latest
    value; "no data" when it has no value at all."""
    values = [v for _, v in points if math.isfinite(v)]
    if not values:
        return f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"><text x="4" y="34">no data</text></svg>'
    top = max(max(values), floor)
    runs: list[list[str]] = [[]]
    for t, v in points:
        if math.isfinite(v):
            runs[-1].append(f"{(t - start) / (end - start) * WIDTH:.1f},{HEIGHT - max(v, 0) / top * (HEIGHT - 12):.1f}")
        elif runs[-1]:
            runs.append([])
    # A lone point (a series just begun, or between gaps) is a dot: a line needs two.
    marks = "".join(f'<polyline points="{" ".join(run)}"/>' if len(run) > 1 else _dot(run[0]) for run in runs if run)
    latest, highest = html.escape(_number(values[-1], unit)), html.escape(_number(top, unit))
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="max {highest}, now {latest}">'
        f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>{marks}<text x="2" y="9">{highest}</text>'
        f'<text x="{WIDTH - 2}" y="9" text-anchor="end">now {latest}</text></svg>'
    )


def _dot(point: str) -> str:
    x, y = point.split(",")
    return f'<circle cx="{x}" cy="{y}" r="2"/>'
