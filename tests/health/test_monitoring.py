"""VM only (issue 22): the monitoring role's Prometheus, exporters and Alertmanager (docs/observability.md).

Read-only checks (every run of site.yml): every catalog service installed has a probe series that is up, read
from Prometheus' query API on the server's loopback; the set listens on loopback only; its configs validate with
Debian's own tools (this machine has none of them). Marked `alerting` (one run of scripts/test-vm, on a stand-in no
other suite is testing then): a backup run leaves its time, one made old fires BackupStale, and a stopped unit
fires ServiceDown, then its "resolved", at a webhook receiver this test starts on the server's loopback (the URL
the local inventories give Alertmanager).
"""

import json
import shlex
import time
import urllib.parse

import pytest
import yaml
from stacklab_core import catalog, ports
from stacklab_testing.target import ROOT, skip_unless_vm
from stacklab_testing.web import get_inside

from tests.health.test_vm import WANTED

PLAN = ports.load(ROOT / "stack.env")
PROMETHEUS = f"http://127.0.0.1:{PLAN['PROMETHEUS_PORT']}"
LOOPBACK_PORTS = [PLAN[key] for key in ports.MONITORING_PORTS]
INVENTORY_VARS = yaml.safe_load((ROOT / "ansible/inventories/local/group_vars/stacklab.yml").read_text())
WEBHOOK = urllib.parse.urlsplit(INVENTORY_VARS["monitoring_alert_webhook_url"])
RECEIVED = "/run/stacklab-test-webhook.jsonl"
BACKUP_METRIC = "stacklab_backup_last_success_timestamp_seconds"
TEXTFILE = "/usr/local/lib/stacklab/textfile.py"
# The service the alert test stops: a hand-written server no other check of that run needs, or on a host with one
# stack (scripts/test-vm runs the alerts on its one-stack host), that stack's first service.
STOPPED = (
    catalog.SERVICES["hello_www"]
    if "www" in WANTED
    else next(s for s in catalog.SERVICES.values() if s.stack in WANTED)
)

# The receiver: every POST body (Alertmanager's webhook JSON) as one line of RECEIVED.
RECEIVER = """
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[3], "ab") as out:
            out.write(body.replace(b"\\n", b" ") + b"\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), Hook).serve_forever()
"""


@pytest.fixture(scope="module", autouse=True)
def _vm_only(target):
    skip_unless_vm(target)


def query(vm, expr: str) -> list[dict]:
    """The instant vector of EXPR, from Prometheus' HTTP API on the server's loopback."""
    url = f"{PROMETHEUS}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    answer = json.loads(get_inside(vm, url))
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def wait_for(what: str, seconds: float, check):
    """check()'s first truthy value within SECONDS (polled every 3 s), else a failure naming WHAT."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"{what}: not within {seconds:.0f} s"
            return value
        time.sleep(3)


@pytest.mark.scraped
def test_every_installed_service_has_a_probe_that_is_up(vm):
    """One probe series per catalog service of the stacks here, each speaking the service's protocol."""
    wanted = {s.name for s in catalog.SERVICES.values() if s.stack in WANTED}

    def probes() -> dict[str, str]:
        return {r["metric"]["service"]: r["value"][1] for r in query(vm, 'probe_success{probe=~"tcp|http"}')}

    def every_one_up() -> dict[str, str] | None:
        seen = probes()
        return seen if all(seen.get(name) == "1" for name in wanted) else None

    # A fresh converge has just started Prometheus: give it a few scrapes.
    seen = wait_for(f"a probe up for each of {sorted(wanted)}", 90, every_one_up)
    assert set(seen) == wanted, f"probed {sorted(seen)}, installed {sorted(wanted)}"


@pytest.mark.scraped
def test_prometheus_scrapes_the_monitoring_set_itself(vm):
    """Prometheus, Alertmanager and both exporters answer their scrapes (a sandbox that kills an exporter would not)."""
    jobs = {"prometheus", "alertmanager", "node", "blackbox"}

    def every_one_up() -> dict[str, str] | None:
        seen = {
            r["metric"]["job"]: r["value"][1] for r in query(vm, 'up{job=~"prometheus|alertmanager|node|blackbox"}')
        }
        return seen if seen.keys() == jobs and set(seen.values()) == {"1"} else None

    wait_for("every part of the monitoring set scraped", 60, every_one_up)


def test_the_monitoring_set_listens_on_loopback_only(vm):
    listening = vm.check_output("ss -Hltn").split("\n")
    local = [line.split()[3] for line in listening if line.strip()]
    for port in LOOPBACK_PORTS:
        bound = [address for address in local if address.rsplit(":", 1)[1] == port]
        assert bound == [f"127.0.0.1:{port}"], f"port {port}: {bound}"
    assert not [address for address in local if address.endswith(":9094")], "alertmanager's cluster port is open"


@pytest.mark.parametrize(
    "command",
    [
        "promtool check config /etc/prometheus/prometheus.yml",
        "promtool check rules /etc/prometheus/stacklab-rules.yml",
        "amtool check-config /etc/prometheus/alertmanager.yml",
        "prometheus-blackbox-exporter --config.check --config.file=/etc/prometheus/blackbox.yml",
    ],
    ids=["prometheus", "rules", "alertmanager", "blackbox"],
)
def test_the_rendered_configs_validate(vm, command):
    result = vm.run(command)
    assert result.rc == 0, f"{command}: {result.stdout[-500:]} {result.stderr[-500:]}"


# ---------------------------------------------------------------- alerts (scripts/test-vm's alerting run)


@pytest.fixture(scope="module")
def webhook(vm):
    """A webhook receiver on the server's loopback, as a transient unit; yields received(): the alerts so far."""
    vm.run("systemctl stop stacklab-test-webhook.service; rm -f " + RECEIVED)
    argv = ["python3", "-c", RECEIVER, WEBHOOK.hostname, str(WEBHOOK.port), RECEIVED]
    vm.check_output("systemd-run --unit stacklab-test-webhook --collect " + shlex.join(argv))

    def received() -> list[dict]:
        lines = vm.run(f"cat {RECEIVED}").stdout.splitlines()
        return [alert for line in lines if line.strip() for alert in json.loads(line)["alerts"]]

    yield received
    vm.run("systemctl stop stacklab-test-webhook.service; rm -f " + RECEIVED)


def notices(received, alertname: str, status: str, **labels: str) -> list[dict]:
    return [
        a for a in received()
        if a["status"] == status and a["labels"].get("alertname") == alertname
        and all(a["labels"].get(k) == v for k, v in labels.items())
    ]  # fmt: skip


@pytest.mark.alerting
def test_a_backup_leaves_its_time_and_an_old_one_fires_backup_stale(vm, webhook):
    """A real backup run leaves its last-success time for Prometheus; that time made 27 hours old (written with the
    lab's own writer, not waited for) fires BackupStale."""
    started = time.time()
    vm.check_output("systemctl start stacklab-backup.service")  # a oneshot: returns when the backup is done

    def fresh() -> list[dict]:
        return [r for r in query(vm, BACKUP_METRIC) if float(r["value"][1]) >= started - 1]

    wait_for(f"{BACKUP_METRIC} of this backup in Prometheus", 60, fresh)
    path = f"/var/lib/stacklab-metrics/{BACKUP_METRIC}.prom"
    real = vm.check_output(f"cat {path}")
    vm.check_output(f"python3 {TEXTFILE} {BACKUP_METRIC} {time.time() - 27 * 3600:.0f}")
    try:
        wait_for("BackupStale at the webhook", 90, lambda: notices(webhook, "BackupStale", "firing"))
    finally:  # the real time back
        vm.check_output(f"printf '%s\\n' {shlex.quote(real)} > {path}")


@pytest.mark.alerting
def test_a_stopped_unit_fires_service_down_then_resolved(vm, webhook):
    """Stop one service's unit: ServiceDown for it reaches the webhook within 90 s; started again, "resolved"."""
    units = f"{STOPPED.unit}.socket {STOPPED.unit}.service"  # the socket too: a connection would start it again
    vm.check_output(f"systemctl stop {units}")
    stopped = time.monotonic()
    try:
        wait_for(
            f"ServiceDown {STOPPED.name}", 90, lambda: notices(webhook, "ServiceDown", "firing", service=STOPPED.name)
        )
        print(f"ServiceDown {STOPPED.name} after {time.monotonic() - stopped:.0f} s")
    finally:
        vm.check_output(f"systemctl start {units}")
    wait_for(
        f"ServiceDown {STOPPED.name} resolved", 120,
        lambda: notices(webhook, "ServiceDown", "resolved", service=STOPPED.name),
    )  # fmt: skip
