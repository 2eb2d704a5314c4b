"""The gunicorn apps' own request metrics for Prometheus: one WSGI middleware for every catalog service whose
`gunicorn` is true (the WSGI echo, Flask, Django, the lab index), which each app's WSGI entry point puts around
itself:

    application = metrics.instrument(application, "wsgi")

It counts every request by method and status (`stacklab_http_requests_total{app,method,status}`), times it until
its body is sent (`stacklab_http_request_duration_seconds{app}`, a histogram from 5 ms to 10 s) and answers
`GET /metrics` itself, before the app sees the request (so neither Django's ALLOWED_HOSTS nor Flask's routes are
involved); scrapes are not counted. /metrics is never public: every nginx site answers 404 for it, and Prometheus
reads it where only it can (catalog.metrics_targets: the app's back network in compose, the loopback metrics server
on a VM).

gunicorn forks several workers, each with its own counters. With PROMETHEUS_MULTIPROC_DIR set before Python starts
(the unit's Environment=, compose's environment:), prometheus_client keeps each worker's values in files there and
/metrics adds up every worker's, the dead ones' included, so counters never go back while the server runs. The
directory is emptied at each start (systemd's RuntimeDirectory=, a tmpfs in compose), and the gunicorn configs'
child_exit hook calls mark_process_dead. Without the variable (the lab's standalone server, a test) a process
reports its own values. Needs the `metrics` extra (`stacklab-core[metrics]`): prometheus-client, the version Debian
13 packages.
"""

import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

PATH = "/metrics"
# Prometheus' default buckets: 5 ms (a cached page) to 10 s (a request near nginx's and gunicorn's timeouts).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Any other method is counted as "other": a client must not mint label values (each is a series, and a file).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("stacklab_http_requests", "HTTP requests by method and status", ["app", "method", "status"])
DURATION = Histogram(
    "stacklab_http_request_duration_seconds", "Time from a request to its last byte", ["app"], buckets=BUCKETS
)

App = Callable[[dict, Callable], Iterable[bytes]]


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all of gunicorn's workers' in multiprocess mode (a fresh registry
    per scrape, as prometheus_client asks), else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def instrument(app: App, name: str) -> App:
    """app, counted and timed under the label app=NAME (its catalog name), with /metrics answered in front of it."""

    def middleware(environ, start_response):
        if environ.get("PATH_INFO") == PATH:
            return _serve(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "")
        status = ["500"]  # what gunicorn answers when the app raises before starting its response

        def start(line, headers, exc_info=None):
            status[0] = line[:3]
            return start_response(line, headers, exc_info)

        def done(failed: bool = False) -> None:
            code = "500" if failed else status[0]
            REQUESTS.labels(name, method if method in METHODS else "other", code).inc()
            DURATION.labels(name).observe(time.perf_counter() - started)

        try:
            body = app(environ, start)
        except BaseException:
            done(failed=True)
            raise
        return _Body(body, done)

    return middleware


class _Body:
    """The app's response body, passed through; its end (close(), which the WSGI server always calls) is when the
    request is counted. An error while it is sent counts as a 500, whatever status went out before it."""

    def __init__(self, body: Iterable[bytes], done: Callable[..., None]):
        self.body, self.done, self.failed = body, done, False

    def __iter__(self):
        try:
            yield from self.body
        except BaseException:
            self.failed = True
            raise

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done(self.failed)


def _serve(environ, start_response):
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
        return [b"GET only\n"]
    data = exposition()
    start_response(
        "200 OK",
        [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")],
    )
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [data]
