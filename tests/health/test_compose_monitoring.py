"""Compose with its monitoring profile (scripts/test-compose starts it, STACKLAB_MONITORING=1): the profile's
Prometheus, read through its port published on 127.0.0.1, probes every catalog service at its compose address
with its own protocol (every probe up), scrapes every gunicorn app's metrics at the catalog's compose address
(stacklab_core.catalog.metrics_targets), and sees the rest of the set up with the lab's rules loaded.
tests/health/test_monitoring.py does the same on a VM."""

import json
import os
import time
import urllib.parse
import urllib.request

import pytest
from stacklab_core import catalog

pytestmark = [
    pytest.mark.container,
    pytest.mark.scraped,
    pytest.mark.skipif(
        os.environ.get("STACKLAB_MONITORING") != "1", reason="monitoring is not part of this run (STACKLAB_MONITORING)"
    ),
]

WAIT = 60  # seconds: a scrape every 15 s, and the set may have just been restarted (a disruptive test)


def api(target, path: str, **params: str) -> dict:
    url = f"http://127.0.0.1:{target.port('PROMETHEUS_PORT')}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success", body
    return body["data"]


def until_all_up(target, expr: str, label: str, wanted: set[str]) -> dict[str, dict]:
    """The series of EXPR by LABEL once every one of WANTED has value 1 (polled), else a failure naming the rest."""
    deadline = time.monotonic() + WAIT
    while True:
        series = {r["metric"].get(label, ""): r for r in api(target, "query", query=expr)["result"]}
        down = sorted(name for name in wanted if series.get(name, {}).get("value", [0, "0"])[1] != "1")
        if not down:
            return series
        assert time.monotonic() < deadline, f"after {WAIT} s, not up in Prometheus ({expr}): {down}"
        time.sleep(3)


def test_every_catalog_service_has_an_up_probe_at_its_compose_address(target):
    series = until_all_up(target, 'probe_success{probe=~"tcp|http"}', "service", set(catalog.SERVICES))
    for service in catalog.SERVICES.values():
        labels = series[service.name]["metric"]
        assert labels["probe"] == ("http" if service.http else "tcp"), service.name
        address = f"{service.container}:{target.port(service.port_key)}"
        assert labels["instance"] in (address, f"http://{address}/", f"http://{address}/healthz"), labels


def test_every_app_is_scraped_at_its_catalog_compose_address(target):
    apps = catalog.metrics_targets()
    series = until_all_up(target, 'up{job=~"app_.*"}', "service", set(apps))
    assert {name: series[name]["metric"]["instance"] for name in apps} == {
        name: where["compose"] for name, where in apps.items()
    }
    requests_seen = api(target, "query", query="sum by (app) (stacklab_http_requests_total)")["result"]
    assert {r["metric"]["app"] for r in requests_seen} >= set(apps), "every app's own request counter is scraped"


def test_the_set_is_up_with_the_labs_rules(target):
    until_all_up(target, 'up{job=~"prometheus|alertmanager|node|blackbox"}', "job",
                 {"prometheus", "alertmanager", "node", "blackbox"})  # fmt: skip
    rules = {rule["name"] for group in api(target, "rules")["groups"] for rule in group["rules"]}
    assert {"ServiceDown", "HighErrorRatio", "DiskFull", "CertificateExpiry", "BackupStale"} <= rules
    [alertmanager] = api(target, "alertmanagers")["activeAlertmanagers"]
    assert alertmanager["url"].startswith(f"http://alertmanager:{target.port('ALERTMANAGER_PORT')}/")
