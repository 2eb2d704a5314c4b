"""What fabfile.py's tasks use that needs no SSH connection: their error and log line, the checks and probes
around a build, and the one-host inventory `fab provision` hands to Ansible. The tasks themselves, and whatever
talks to the host, stay in fabfile.py."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import datetime
from pathlib import Path

from stacklab_core import layout

from stacklab_deploy.build import read_sums

# The host's Python and architecture, and the wheels its current release has (readable without root), in one
# SSH round trip: the release is built for that Python and carries only the wheels the host lacks.
HOST_PROBE = (
    "python3 -c 'import sys, platform; print(*sys.version_info[:2], platform.machine())'; "
    f"cat {layout.CURRENT_LINK}/wheelhouse/SHA256SUMS 2>/dev/null || true"
)


class DeployError(Exception):
    """An expected failure: fab prints the message (no traceback) and exits 1."""


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def refuse_uncommitted(repo: Path, force: bool) -> None:
    """A release is built from commits: a work tree with uncommitted changes only with --force."""
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    count = len(dirty.stdout.strip().splitlines())
    if count and not force:
        raise DeployError(f"the work tree has {count} uncommitted change(s): commit them, or deploy with --force")


def download_private(c, remote: str, local: Path) -> None:
    """Download REMOTE (through c, a Fabric Connection) into LOCAL, a new file that is 0600 from its creation on:
    the archive holds the lab's data (and maybe its secrets), so it is never readable by others, not even while
    its first bytes arrive. Refuses a LOCAL that exists (a symlink planted there included)."""
    local.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            c.get(remote, local=out)  # a file object: Fabric neither opens nor chmods the path itself
    except BaseException:
        local.unlink(missing_ok=True)
        raise


def read_host_probe(out: str) -> tuple[str, str, dict[str, str]]:
    """HOST_PROBE's answer: the host's Python as X.Y, its architecture, and its wheels (name -> sha256)."""
    first, _, sums = out.partition("\n")
    major, minor, arch = first.split()
    return f"{major}.{minor}", arch, read_sums(sums)


def one_host_inventory(c, folder: Path, name: str) -> str:
    """An inventory where this one host (NAME) is every group of site.yml, reached the way connection c (a Fabric
    Connection) reaches it (host, port, user, key and known_hosts as resolved from -H, -i and ssh_config)."""
    host: dict[str, object] = {"ansible_host": c.host, "ansible_port": c.port, "ansible_user": c.user}
    keys = c.ssh_config.get("identityfile") or c.connect_kwargs.get("key_filename") or []  # its own ssh_config's first
    if keys:
        host["ansible_ssh_private_key_file"] = str(Path(keys[0]).expanduser().resolve())
    options = {k: c.ssh_config[k] for k in ("userknownhostsfile", "stricthostkeychecking", "identitiesonly")
               if k in c.ssh_config}  # fmt: skip
    if options:
        host["ansible_ssh_common_args"] = " ".join(f"-o {k}={shlex.quote(v)}" for k, v in options.items())
    hosts = {name: host}
    groups = {"stacklab_db": {"hosts": hosts}, "stacklab_apps": {"hosts": hosts}}
    path = folder / "hosts.json"  # JSON is YAML: Ansible's yaml inventory plugin reads it
    path.write_text(json.dumps({"stacklab": {"children": groups}}, indent=2))
    return str(path)
