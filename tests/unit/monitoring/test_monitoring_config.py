"""The monitoring set's configs (ansible/roles/monitoring/templates: one source for the VM role and compose), as
scripts/render_conf.py renders them with the compose values (docker/monitoring/monitoring.env): every catalog
service probed with its own protocol, the TCP exchanges matching the real servers' replies, the alerts the issue
asks for, both receivers. Debian's promtool, amtool and blackbox exporter validate the same templates on the VM
(tests/health/test_monitoring.py; the role's `validate`): this machine has none of them.
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stacklab_core import catalog, ports

from tests.unit.servers import free_port

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "ansible/roles/monitoring/templates"
ROLE = ROOT / "ansible/roles/monitoring"
COMPOSE_VALUES = ROOT / "docker/monitoring/monitoring.env"
PREFIX = "lab.test (1)"  # regexp metacharacters: the templates must escape the prefix
# The ports docker/monitoring/render gives the templates: the plan's.
PORTS = [f"monitoring_{key.removesuffix('_PORT').lower()}_port={ports.load(ROOT / 'stack.env')[key]}"
         for key in ("PROMETHEUS_PORT", "ALERTMANAGER_PORT", "BLACKBOX_PORT", "NODE_EXPORTER_PORT")]  # fmt: skip
TCP = {"echo": "stacklab-echo-server", "recho": "stacklab-recho-server", "echo_select": "stacklab-echo-select",
       "chat": "stacklab-chat-server"}  # fmt: skip


def render(name: str, *sets: str, prefix: str = PREFIX) -> dict:
    argv = [sys.executable, str(ROOT / "scripts/render_conf.py"), str(TEMPLATES / f"{name}.yml.j2"), "-",
            "--vars", str(COMPOSE_VALUES), "--templates", str(TEMPLATES)]  # fmt: skip
    for item in (*PORTS, *sets):
        argv += ["--set", item]
    env = {**os.environ, "ECHO_PREFIX": prefix}
    return yaml.safe_load(subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout)


def test_every_catalog_service_is_probed_with_a_module_of_its_kind():
    prometheus, blackbox = render("prometheus"), render("blackbox")
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    for service in catalog.SERVICES.values():
        job = jobs[f"probe_{service.name}"]
        [module] = job["params"]["module"]
        assert blackbox["modules"][module]["prober"] == ("http" if service.http else "tcp"), service.name
        [target] = job["static_configs"][0]["targets"]
        assert target.endswith(f"{service.container}:{os.environ.get(service.port_key) or port(service)}") or (
            f"{service.container}:{port(service)}/" in target
        ), target
        assert job["static_configs"][0]["labels"]["service"] == service.name


def port(service: catalog.Service) -> str:
    return re.search(rf"^{service.port_key}=(\d+)$", (ROOT / "stack.env").read_text(), re.M).group(1)


def test_the_gunicorn_apps_metrics_are_scraped_in_compose():
    jobs = {job["job_name"]: job for job in render("prometheus")["scrape_configs"]}
    apps = [s for s in catalog.SERVICES.values() if s.gunicorn]
    assert apps
    for service in apps:
        want = catalog.metrics_targets()[service.name]["compose"]  # lab-gunicorn: the lab binds on lab-back alone
        assert jobs[f"app_{service.name}"]["static_configs"][0]["targets"] == [want]


def blackbox_exchange(port: int, module: dict, timeout: float = 5) -> bool:
    """What blackbox's TCP prober does: each `send` with a newline, each `expect` tried on every line read until
    one matches; no match before the connection ends or the timeout is a failed probe."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock, sock.makefile("rb") as lines:
        for step in module["tcp"]["query_response"]:
            if "send" in step:
                sock.sendall(step["send"].encode() + b"\n")
                continue
            try:
                if not any(re.search(step["expect"], line.decode().rstrip("\n")) for line in lines):
                    return False
            except TimeoutError:
                return False
    return True


@pytest.mark.parametrize("kind", TCP)
def test_a_tcp_module_passes_against_the_real_server_and_fails_on_a_wrong_prefix(start_server, tmp_path, kind):
    server_port = free_port()
    start_server([TCP[kind], "--host", "127.0.0.1", "--port", str(server_port)], server_port,
                 {"ECHO_PREFIX": PREFIX}, tmp_path)  # fmt: skip
    assert blackbox_exchange(server_port, render("blackbox")["modules"][kind])
    other = render("blackbox", prefix="uw-student")["modules"][kind]
    assert not blackbox_exchange(server_port, other, timeout=1)


def test_the_rules_hold_the_alerts_the_lab_needs():
    rules = {rule["alert"]: rule for rule in render("rules")["groups"][0]["rules"]}
    for alert in ("ServiceDown", "HighErrorRatio", "DiskFull", "CertificateExpiry", "BackupStale", "MemoryPressure"):
        assert alert in rules
    assert rules["ServiceDown"]["for"] == "1m"
    assert rules["HighErrorRatio"]["for"] == "5m" and "> 0.05" in rules["HighErrorRatio"]["expr"]
    assert "stacklab_http_requests_total" in rules["HighErrorRatio"]["expr"]
    assert "26 * 3600" in rules["BackupStale"]["expr"] and "for" not in rules["BackupStale"]
    assert "14 * 86400" in rules["CertificateExpiry"]["expr"]


def test_alerts_go_to_a_webhook_and_or_mail():
    assert render("alertmanager")["receivers"] == [{"name": "lab"}]
    both = render("alertmanager", "monitoring_alert_webhook_url=https://hooks.example/alert",
                  "monitoring_alert_email_to=ops@example.org")  # fmt: skip
    [receiver] = both["receivers"]
    assert receiver["webhook_configs"] == [{"url": "https://hooks.example/alert", "send_resolved": True}]
    assert receiver["email_configs"] == [{"to": "ops@example.org", "send_resolved": True}]
    assert both["global"]["smtp_require_tls"] is True


def test_the_compose_values_are_the_roles_defaults():
    """docker/monitoring/monitoring.env repeats the role's plain settings: they must not drift apart."""
    role = {
        **yaml.safe_load((ROLE / "defaults/main.yml").read_text()),
        **yaml.safe_load((ROLE / "vars/main.yml").read_text()),
    }
    compose = dict(
        line.split("=", 1)
        for line in COMPOSE_VALUES.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    # A list of words is one line of them in the env file (monitoring_node_exporter_collectors).
    words = {key: " ".join(value) for key, value in role.items() if isinstance(value, list) and value
             and all(isinstance(word, str) for word in value)}  # fmt: skip
    plain = {
        key: value
        for key, value in {**role, **words}.items()
        if isinstance(value, (str, int, float, bool)) and "{{" not in str(value)
    }
    shared = (plain.keys() & compose.keys()) - {"monitoring_mode"}  # "vm" in the role
    assert len(shared) > 10
    assert {k: str(plain[k]).lower() for k in shared} == {k: compose[k].lower() for k in shared}


# The node exporter's collector of each family of series the lab reads.
COLLECTOR_OF = {"cpu": "cpu", "memory": "meminfo", "filesystem": "filesystem", "textfile": "textfile"}


def test_the_node_exporter_runs_every_collector_the_lab_reads():
    """Its other collectors are off (monitoring_node_exporter_collectors): a rule or a dashboard panel on a series
    of a collector left off would show nothing, and no test would see the gap before an alert failed to fire."""
    collectors = yaml.safe_load((ROLE / "defaults/main.yml").read_text())["monitoring_node_exporter_collectors"]
    readers = [TEMPLATES / "rules.yml.j2", ROOT / "services/lab/src/stacklab_lab/dashboard.py"]
    read = {name for path in readers for name in re.findall(r"\bnode_([a-z]+)_\w+", path.read_text())}
    assert read >= {"cpu", "memory", "filesystem", "textfile"}
    assert read <= COLLECTOR_OF.keys(), f"name the collector of node_{sorted(read - COLLECTOR_OF.keys())}_*"
    assert {COLLECTOR_OF[family] for family in read} <= set(collectors)
