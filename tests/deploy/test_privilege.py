"""Least privilege (docs/security.md): the deploy user fab logs in as may run as root exactly the release and
backup tools' subcommands that fab uses, and nothing else; `fab provision` logs in as admin and prints no secret.

Runs after test_deploy.py and test_backup.py (file order), which prove that fab deploy, rollback, status, backup
and restore work with no more than this.
"""

import json
import os
import secrets
from pathlib import Path

import pytest
from stacklab_core import layout
from stacklab_testing.deploy import CANARY_DIR, HOST, NOBODY, REPO

pytestmark = pytest.mark.timeout(1800)

RELEASE = layout.RELEASE_TOOL
BACKUP = layout.BACKUP_TOOL
NAME = "[A-Za-z0-9][A-Za-z0-9._-]*"
ARCHIVE = f"{layout.BACKUP_DIR}(/pre-deploy)?/stacklab-[0-9]{{8}}T[0-9]{{6}}Z[.]tar"
# What `sudo -l` must list, entry for entry (ansible/roles/base/templates/sudoers.j2): a new entry is a decision.
ALLOWED = [
    f"{RELEASE} ^install - {NAME}$",
    f"{RELEASE} ^(check|migrate|activate|remove) {NAME}$",
    f"{RELEASE} ^prune [1-9][0-9]*$",
    f"{RELEASE} reload",
    f"{RELEASE} units",
    f"{BACKUP} ^create( --with-secrets)?$",
    f"{BACKUP} create --dir {layout.PRE_DEPLOY_DIR}",
    f"{BACKUP} ^list --dir {layout.BACKUP_DIR}(/pre-deploy)?$",
    f"{BACKUP} ^prune --dir {layout.PRE_DEPLOY_DIR} --keep-last [1-9][0-9]*$",
    f"{BACKUP} ^(cat|restore) {ARCHIVE}$",
    f"{BACKUP} restore -",
]
# Each of these is root (a shell, GTFOBins' systemctl, an editor) or would let root run or read what deploy names.
REFUSED = [
    "bash",
    "sh -c id",
    "-s",
    "-i",
    "-e /etc/sudoers",
    "-u postgres psql",
    "systemctl restart ssh",
    "systemctl reload stacklab-flask.service",
    "/usr/bin/systemctl status stacklab-flask.service",
    f"{RELEASE} manage shell -c 'import os'",
    f"{RELEASE} install /etc/shadow 20250101T000000-aaaaaaa",
    f"{RELEASE} check ../../etc",
    f"{RELEASE} check a b",
    f"{RELEASE} rollback",
    f"{RELEASE} prune 0",
    f"{BACKUP} --config /tmp/backup.env create",
    f"{BACKUP} create --dir /etc/cron.d",
    f"{BACKUP} restore /tmp/stacklab-20250101T000000Z.tar",
    f"{BACKUP} restore - --with-secrets",
    f"{BACKUP} cat /etc/shadow",
    f"{BACKUP} cat {layout.BACKUP_DIR}/../../../etc/shadow",
]


def test_sudo_lists_exactly_the_tools_subcommands(ssh):
    listed = ssh("sudo -n -l")
    assert listed.returncode == 0, listed.stderr
    rules = listed.stdout.split("may run the following commands on", 1)[1].split("\n", 1)[1]
    assert rules.count("NOPASSWD:") == 1 and rules.strip().startswith("(root : root) NOPASSWD:"), rules
    entries = [" ".join(entry.split()) for entry in rules.split("NOPASSWD:", 1)[1].split(", ")]
    assert entries == ALLOWED


@pytest.mark.parametrize("command", REFUSED)
def test_deploy_cannot_run_anything_else_as_root(ssh, command):
    result = ssh(f"sudo -n {command}")
    assert result.returncode != 0, f"sudo {command} ran: {result.stdout}"
    assert "a password is required" in result.stderr or "not allowed" in result.stderr, result.stderr


def test_deploy_cannot_replace_the_tools_it_runs_as_root(ssh, on_host):
    # Not in sudo nor any other group but the one that reads the journal (fab logs), not adm (/var/log/*).
    assert ssh("id -Gn").stdout.split() == ["deploy", "systemd-journal"]
    for path in (RELEASE, BACKUP, layout.TOOLS_DIR, "/etc/sudoers.d", "/etc/sudoers.d/stacklab-deploy"):
        owner = on_host(f"sudo stat -c '%U:%G %a' {path}").split()  # as admin: deploy may not even read sudoers.d
        assert owner[0] == "root:root" and int(owner[1], 8) & 0o022 == 0, f"{path}: {owner}"
        assert ssh(f"test -w {path}").returncode != 0, f"deploy may write {path}"


def generated_secrets() -> dict[str, str]:
    """Every secret Ansible generated for this stand-in (the local inventory's, or fab's one-host inventory's)."""
    folders = [REPO / "ansible/inventories/local/secrets", Path.home() / ".config/stacklab/secrets" / HOST]
    found = {}
    for folder in folders:
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.is_file() and path.read_text().strip():
                found[str(path)] = path.read_text().strip()
    return found


def test_provision_runs_as_admin_and_prints_no_secret(fab, on_host, root_canary):
    # The current release carries test_no_root.py's canary: provisioning must not run it as root either.
    on_host(f"sudo find {CANARY_DIR} -mindepth 1 -delete")
    inventory = os.environ.get("STACKLAB_PROVISION_INVENTORY", "")
    canary = f"canary-{secrets.token_hex(12)}"  # an extra var that only a printed argv or log could show
    variables = json.loads(os.environ.get("STACKLAB_PROVISION_VARS") or "{}") | {"stacklab_test_canary": canary}
    args = ["provision", *(["--inventory", inventory] if inventory else []), "--extra-vars", json.dumps(variables)]
    result = fab(*args, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    output = result.stdout + result.stderr
    assert "extra-vars.json" in output and "stacklab_test_canary" in output  # the names are said, not the values
    assert canary not in output
    found = generated_secrets()
    assert found, "no generated secrets to look for"
    leaked = [path for path, value in found.items() if value in output]
    assert not leaked, f"fab provision printed the secrets of {leaked}"
    assert "PLAY RECAP" in output and "failed=0" in output
    seen = root_canary()
    assert 0 not in seen, f"provisioning ran the release's code as root (uids {seen})"
    assert NOBODY in seen, f"the CGI installer did not run the canary's venv: the test proves nothing ({seen})"
