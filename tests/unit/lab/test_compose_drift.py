"""docker/services.yml and the services' Dockerfiles against the catalog: containers, published ports,
healthchecks, users and uids, run commands (tests/unit/lab/drift.py names each difference)."""

import dataclasses

from stacklab_core import checks
from stacklab_core.catalog import SERVICES, networks

from tests.unit.lab import drift


def test_compose_and_the_dockerfiles_say_what_the_catalog_says():
    assert drift.drift(SERVICES.values(), drift.compose()) == []


def test_every_check_kind_has_its_container_healthcheck():
    assert set(drift.PROBES) == set(checks.KINDS)


def test_the_drift_names_each_difference():
    changed = dict(SERVICES)
    changed["echo"] = dataclasses.replace(SERVICES["echo"], uid=10020)
    changed["ws30"] = dataclasses.replace(SERVICES["ws30"], args=())
    changed["flask"] = dataclasses.replace(SERVICES["flask"], check="hello")
    spec = drift.compose()
    del spec["recho"]
    spec["chat"] = {**spec["chat"], "command": ["python3", "-m", "stacklab_chat.other"]}
    spec["wsgi"] = {**spec["wsgi"], "ports": ["8000:8000"]}
    spec["extra"] = {"healthcheck": {"test": ["CMD", "true"]}}
    assert drift.drift(changed.values(), spec) == [
        "compose service extra: long-running but in no catalog entry",
        "echo: services/echo/Dockerfile does not run echo as stacklab-echo (10020:10020) as the catalog says",
        "recho: no compose service 'recho' in docker/services.yml",
        "chat: chat runs python3 -m stacklab_chat.other, the catalog says python3 -m stacklab_chat.server",
        "ws30: ws30 runs python3 -m stacklab_www.ws30 --demo, the catalog says python3 -m stacklab_www.ws30",
        "wsgi: wsgi is behind wsgi-nginx and must not publish a port",
        "flask: flask-nginx's healthcheck is not stacklab-probe http / on ${FLASK_PORT}",
    ]


def test_every_service_is_on_the_networks_the_catalog_says():
    assert drift.network_drift(drift.compose(), drift.compose(key="networks")) == []


def test_the_network_drift_names_a_service_on_the_wrong_network():
    spec = drift.compose()
    spec["echo"] = {**spec["echo"], "networks": ["echo", "monitor", "django-db"]}
    spec["flask"] = {**spec["flask"], "networks": ["flask", "flask-back"]}
    del spec["chat"]["networks"]
    spec["nginx"] = {**spec["nginx"], "network_mode": "bridge"}
    declared = {**drift.compose(key="networks"), "wsgi-back": None, "extra": {}}
    del declared["monitor"]
    assert drift.network_drift(spec, declared) == [
        "network extra: in docker/services.yml, not in the catalog",
        "network monitor: the catalog's, not declared in docker/services.yml",
        "network wsgi-back: internal is False, the catalog says True",
        "nginx: a base image on a network (network_mode: none)",
        "echo: on networks ['django-db', 'echo', 'monitor'], the catalog says ['echo', 'monitor']",
        "chat: on networks ['default'], the catalog says ['chat', 'monitor']",
        "flask: on networks ['flask', 'flask-back'], the catalog says ['flask-back']",
    ]


def test_the_drift_names_a_profile_out_of_place():
    """Only the catalog's monitoring set is optional: plain `docker compose up` must start every service."""
    spec = drift.compose()
    spec["echo"] = {**spec["echo"], "profiles": ["monitoring"]}
    spec["blackbox"] = {key: value for key, value in spec["blackbox"].items() if key != "profiles"}
    del spec["node-exporter"]
    assert drift.drift(SERVICES.values(), spec) == [
        "compose service echo: profiles ['monitoring'], the catalog says None",
        "compose service blackbox: profiles None, the catalog says ['monitoring']",
        "no compose service 'node-exporter' (profile monitoring)",
    ]


def test_prometheus_reaches_every_app_and_the_blackbox_exporter_every_published_container():
    """The monitoring profile's part of the design: the metrics targets on Prometheus' networks, every catalog
    service's container on the blackbox exporter's; the networks only the profile uses marked as such."""
    nets = networks()
    on = {name: {net for net, members in nets.items() if name in members["services"]}
          for name in ("prometheus", "blackbox", "lab")}  # fmt: skip
    for service in SERVICES.values():
        reach = {net for net, members in nets.items() if service.container in members["services"]}
        assert reach & on["blackbox"], service.name
        if service.gunicorn:
            assert {net for net, m in nets.items() if service.app in m["services"]} & on["prometheus"], service.name
    assert on["lab"] & on["prometheus"], "the dashboard reads Prometheus"
    assert {net for net, members in nets.items() if members.get("profile")} == {"monitoring", "monitoring-back"}
