"""VM only (issue 20, item 9): the sandbox of every unit the roles install or configure, scored by `systemd-analyze
security` (the lab's own units at most 2.0, the others at most 5.0 or a reason in docs/security.md); the apps'
secrets as systemd credentials, never in a process's environment; sshd's algorithms; redirects that go to the
configured names whatever the Host header says.

Which units: what Ansible wrote on the server, read there (every stacklab-*.service unit file, and every unit with
a stacklab drop-in), checked against the catalog so that a unit cannot drop out unnoticed.
"""

import os
import re
import shlex
import subprocess
import urllib.parse

import paramiko
import pytest
import requests
import yaml
from stacklab_core import catalog, layout
from stacklab_testing.target import ROOT, skip_unless_vm

from tests.health.test_vm import APP_UNITS, WANTED, ssh_settings

LAB_THRESHOLD = 2.0
OTHER_THRESHOLD = 5.0
# Units the roles configure whose sandbox cannot reach OTHER_THRESHOLD; docs/security.md ("Sandbox scores") says
# which directives cannot be set and why.
EXEMPT = ("ssh.service",)
# Units of others that the lab counts as its own: the certificate renewal runs the role's hook, with its drop-in.
LAB_DROP_INS = ("certbot.service",)
SCORE = re.compile(r"Overall exposure level for (\S+): ([0-9.]+)")
# The apps whose secrets are credentials (their Ansible roles), and the files on the control machine holding them.
CREDENTIALS = {
    "django": {"DJANGO_SECRET_KEY": "django_secret_key", "DATABASE_PASSWORD": "postgres_password"},
    "flask": {"FLASK_SECRET_KEY": "flask_secret_key"},
    "wsgi": {"WSGI_SECRET_KEY": "wsgi_secret_key"},
}
SSHD_CRYPTO = yaml.safe_load((ROOT / "ansible/roles/base/defaults/main.yml").read_text())["base_sshd_crypto"]


@pytest.fixture(scope="module", autouse=True)
def _vm_only(target):
    skip_unless_vm(target)


# ---------------------------------------------------------------- sandbox scores


def configured_units(host) -> set[str]:
    """The services Ansible installed (stacklab-*.service) or gave a drop-in of the lab's (stacklab*.conf); a
    template's drop-in stands for its loaded instances (postgresql@17-main)."""
    out = host.check_output(
        "ls /etc/systemd/system | grep -E '^stacklab-.*[.]service$' || true; "
        "ls -d /etc/systemd/system/*.service.d/stacklab*.conf 2>/dev/null | cut -d/ -f5 | sed 's/[.]d$//' || true"
    )
    units = set()
    for unit in out.split():
        if unit.endswith("@.service"):
            template = unit.removesuffix("@.service")
            listed = host.check_output(f"systemctl list-units --all --plain --no-legend {template}@*.service")
            units |= {line.split()[0] for line in listed.splitlines() if line.strip()}
        else:
            units.add(unit)
    return units


def score(host, unit: str, threshold: float) -> tuple[float, bool]:
    """(exposure, within threshold) of one unit, by `systemd-analyze security --threshold` (which counts in tenths:
    20 is 2.0)."""
    result = host.run(f"systemd-analyze security --no-pager --threshold={round(threshold * 10)} {shlex.quote(unit)}")
    found = SCORE.search(result.stdout)
    assert found, f"{unit}: no score in {result.stdout[-300:]!r} {result.stderr!r}"
    return float(found.group(2)), result.rc == 0


def is_lab_unit(unit: str) -> bool:
    return unit.startswith("stacklab-") or unit in LAB_DROP_INS


@pytest.fixture(scope="module")
def units(vm, db_vm):
    """host -> the units the roles installed or configured there."""
    hosts = {id(vm): vm, id(db_vm): db_vm}
    return [(host, sorted(configured_units(host))) for host in hosts.values()]


def test_the_scored_units_are_every_unit_the_roles_set_up(vm, db_vm, units):
    scored = {unit for _, names in units for unit in names}
    expected = set(f"{unit}.service" for unit in APP_UNITS) | {"ssh.service"}
    expected |= {f"{s.front_unit or s.unit}.service" for s in catalog.SERVICES.values() if s.stack in WANTED}
    if "django" in WANTED:
        expected |= {"postgresql@17-main.service"}
    if not os.environ.get("STACKLAB_VM_STACKS"):  # site.yml: the backup role too
        expected |= {"stacklab-backup.service"}
    assert expected <= scored, f"not scored: {sorted(expected - scored)}"


@pytest.mark.parametrize(("lab", "threshold"), [(True, LAB_THRESHOLD), (False, OTHER_THRESHOLD)], ids=["lab", "other"])
def test_every_unit_scores_within_its_threshold(units, lab, threshold):
    """`systemd-analyze security --threshold` per unit; the assertion lists every score, so one run shows all."""
    scores, over = {}, []
    for host, names in units:
        for unit in (u for u in names if is_lab_unit(u) == lab and u not in EXEMPT):
            scores[unit], within = score(host, unit, threshold)
            if not within:
                over.append(unit)
    assert scores
    table = ", ".join(f"{unit} {value}" for unit, value in sorted(scores.items()))
    assert not over, f"over {threshold}: {sorted(over)} (scores: {table})"


@pytest.mark.parametrize("unit", EXEMPT)
def test_an_exempt_unit_is_explained_in_the_docs(unit):
    docs = (ROOT / "docs/security.md").read_text()
    section = docs.split("### Sandbox scores", 1)[-1].split("\n## ", 1)[0]
    assert f"`{unit.removesuffix('.service')}`" in section, f"docs/security.md, Sandbox scores: say why {unit}"


# ---------------------------------------------------------------- secrets as credentials


def processes(host, user: str) -> list[int]:
    return [int(pid) for pid in host.run(f"pgrep -u {user}").stdout.split()]


@pytest.mark.parametrize("app", [app for app in CREDENTIALS if app in WANTED])
def test_no_secret_in_an_apps_environment(vm, target, app):
    """Every process of the app: its environment (/proc/PID/environ, what children inherit) holds no secret; the
    settings file neither; the secrets are root-only credential files the unit loads."""
    secrets = {name: target.secret(file) for name, file in CREDENTIALS[app].items()}
    pids = processes(vm, f"stacklab-{app}")
    assert pids, f"no process of stacklab-{app}"
    for pid in pids:
        environ = vm.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ")
        assert "CREDENTIALS_DIRECTORY=" in environ, f"{app} pid {pid}: no credentials"
        leaked = [name for name, value in secrets.items() if name in environ or value in environ]
        assert not leaked, f"{app} pid {pid}: {leaked} in its environment"
    settings = vm.file(f"/etc/stacklab/{app}.env").content_string
    assert not [name for name, value in secrets.items() if name in settings or value in settings]
    for name in secrets:
        stored = vm.file(f"{layout.CREDENTIALS_DIR}/{app}/{name}")
        assert (stored.user, stored.group, stored.mode) == ("root", "root", 0o600), name


# ---------------------------------------------------------------- sshd's algorithms


def test_sshd_uses_the_crypto_policy(vm):
    effective = dict(line.split(" ", 1) for line in vm.check_output("sshd -T").splitlines() if " " in line)
    for keyword, algorithms in SSHD_CRYPTO.items():
        assert effective[keyword.lower()].split(",") == algorithms, keyword


OLD_OFFERS = {  # one category of a client's offer limited to what the policy leaves out; the rest paramiko's own
    "cipher aes128-cbc": {"ciphers": ("aes128-cbc",)},
    "kex diffie-hellman-group14-sha256": {"kex": ("diffie-hellman-group14-sha256",)},
    "kex ecdh-sha2-nistp256": {"kex": ("ecdh-sha2-nistp256",)},
    "mac hmac-sha2-256 (encrypt-and-MAC)": {"ciphers": ("aes128-ctr",), "digests": ("hmac-sha2-256",)},
    "host key ecdsa-sha2-nistp256": {"key_types": ("ecdsa-sha2-nistp256",)},
}


@pytest.mark.parametrize("offer", OLD_OFFERS.values(), ids=OLD_OFFERS.keys())
def test_sshd_refuses_a_client_offering_only_old_algorithms(target, offer):
    settings = ssh_settings(target)
    t = paramiko.Transport((settings["hostname"], settings["port"]))
    try:
        options = t.get_security_options()
        for category, algorithms in offer.items():
            setattr(options, category, algorithms)
        with pytest.raises(paramiko.SSHException):
            t.start_client(timeout=10)
        assert not t.is_active()
    finally:
        t.close()


def test_openssh_with_an_old_cipher_is_refused_and_a_normal_client_works(target):
    """As a user would try it: `ssh -o Ciphers=aes128-cbc` fails before authentication; plain `ssh` logs in."""
    url = urllib.parse.urlparse(target.vm_host)
    config = urllib.parse.parse_qs(url.query)["ssh_config"][0]
    ssh = ["ssh", "-F", config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=INFO"]
    old = subprocess.run([*ssh, "-o", "Ciphers=aes128-cbc", url.hostname, "true"], capture_output=True, text=True)
    assert old.returncode == 255 and "no matching cipher" in old.stderr, old.stderr
    normal = subprocess.run([*ssh, url.hostname, "true"], capture_output=True, text=True)
    assert normal.returncode == 0, normal.stderr


# ---------------------------------------------------------------- redirects from configured names


def test_the_lab_index_link_ignores_a_forged_host(target):
    """cgi-bin/lab_index.py redirects to the lab index: to its configured address, not to the Host header's."""
    answer = requests.get(
        f"http://{target.address}:{target.port('CGI_PORT')}/cgi-bin/lab_index.py",
        headers={"Host": "evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert "evil.example" not in location, location
    assert location in (f"http://{target.address}:{target.port('LAB_PORT')}/",) or location.startswith("https://lab.")
