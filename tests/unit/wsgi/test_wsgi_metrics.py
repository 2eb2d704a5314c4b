"""The apps' own metrics (stacklab_core.metrics), on the WSGI echo under a real gunicorn with 2 workers in
multiprocess mode: /metrics adds up every worker's counts (a killed worker's too), 5xx answers are counted as such,
and the nginx front answers 404 for /metrics. The same middleware wraps Flask, Django and the lab index."""

import os
import re
import runpy
import signal
import time
import types
from concurrent.futures import ThreadPoolExecutor
from wsgiref.util import setup_testing_defaults

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from stacklab_core import metrics
from stacklab_core.logs import GUNICORN_FORMAT

from tests.unit.harness import needs_nginx
from tests.unit.servers import children
from tests.unit.wsgi.helpers import ROOT


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) -> value, from Prometheus' text format."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_total(values: dict, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (name, got), v in values.items() if name == "stacklab_http_requests_total" and wanted <= got)


def worker_pids(log: str, path: str) -> set[str]:
    """The workers that served `path`, from the pid= field the `metered` fixture adds to the access log."""
    return set(re.findall(rf'"GET {re.escape(path)} HTTP/1.1" \d+ .* pid=<(\d+)>', log))


@pytest.fixture
def metered(start_gunicorn, tmp_path):
    """The WSGI echo under gunicorn in multiprocess mode; its history is a path it cannot open (a file stands where
    its folder should be), so /healthz answers 503 while / answers 200."""
    (tmp_path / "not-a-folder").write_text("")
    (tmp_path / "multiproc").mkdir()
    return start_gunicorn(
        # The deployed access log plus the worker's pid (GUNICORN_CMD_ARGS beats the conf file).
        GUNICORN_CMD_ARGS=f"--access-logformat '{GUNICORN_FORMAT} pid=%(p)s'",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "multiproc"),
        WSGI_HISTORY_DB=str(tmp_path / "not-a-folder" / "history.sqlite3"),
    )


def test_metrics_add_up_both_workers_and_count_5xx(metered):
    def get(path: str) -> int:
        return requests.get(metered.url(path), timeout=10).status_code

    sent = 0
    with ThreadPoolExecutor(8) as pool:  # concurrent, so that both workers take some (the access log shows who)
        deadline = time.monotonic() + 20
        while len(worker_pids(metered.server.log(), "/")) < 2:
            assert time.monotonic() < deadline, "one worker served every request"
            assert set(pool.map(get, ["/"] * 16)) == {200}
            sent += 16
        assert set(pool.map(get, ["/healthz"] * 5)) == {503}
    metered.server.wait_for_log('"GET /healthz HTTP/1.1" 503')

    values = samples(requests.get(metered.url("/metrics"), timeout=10).text)
    assert requests_total(values, app="wsgi", method="GET", status="200") == sent
    assert requests_total(values, app="wsgi", status="503") == 5
    duration_count = values[("stacklab_http_request_duration_seconds_count", frozenset({("app", "wsgi")}))]
    assert duration_count == sent + 5
    assert requests_total(values, app="wsgi") == sent + 5  # the scrape itself is not counted

    # A worker killed: gunicorn starts another, and the dead one's counts stay in the sum (counters never go back).
    master = metered.server.proc.pid
    victim = int(sorted(worker_pids(metered.server.log(), "/"))[0])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while victim in children(master) or len(children(master)) < 2:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.05)
    values = samples(requests.get(metered.url("/metrics"), timeout=10).text)
    assert requests_total(values, app="wsgi") == sent + 5


@needs_nginx
def test_the_front_hides_metrics(metered, start_nginx):
    front = start_nginx(f"127.0.0.1:{metered.port}")
    assert requests.get(front.url("/"), timeout=10).status_code == 200
    for path in ("/metrics", "/metrics?x=1", "/%6detrics", "//metrics"):
        assert requests.get(front.url(path), timeout=10).status_code == 404, path
    assert requests.get(metered.url("/metrics"), timeout=10).status_code == 200  # the app itself serves it


def call(app, path: str, method: str = "GET") -> tuple[str, bytes]:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    answer = {}
    body = app(environ, lambda status, headers, exc_info=None: answer.update(status=status))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return answer["status"], data


def test_the_middleware_in_one_process():
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/raise":
            raise RuntimeError("boom")
        start_response("201 Created", [])
        return [b"made"]

    name = f"unit-{os.getpid()}-{time.monotonic_ns()}"  # this process's default registry: a label of its own
    wrapped = metrics.instrument(app, name)
    assert call(wrapped, "/x", "BREW") == ("201 Created", b"made")
    with pytest.raises(RuntimeError):
        call(wrapped, "/raise")
    assert call(wrapped, "/metrics", "POST")[0] == "405 Method Not Allowed"
    assert call(wrapped, "/metrics", "HEAD") == ("200 OK", b"")
    values = samples(call(wrapped, "/metrics")[1].decode())
    assert requests_total(values, app=name, method="other", status="201") == 1  # no label minted by the client
    assert requests_total(values, app=name, method="GET", status="500") == 1  # what gunicorn answers for it
    assert requests_total(values, app=name) == 2


@pytest.mark.parametrize("app", ["wsgi", "flask", "django", "lab"])
def test_every_gunicorn_config_forgets_a_dead_worker(app, tmp_path, monkeypatch):
    """child_exit of each app's gunicorn.conf.py removes a dead worker's live-gauge file (mark_process_dead)."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(ROOT / "services" / app / "conf" / "gunicorn.conf.py"))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    conf["child_exit"](None, types.SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]  # a counter stays in the sum
