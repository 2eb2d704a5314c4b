"""Compose only: the secrets as the containers see them. Each container holds only the secrets it needs at run time
(the Django accounts' passwords only in the one-shot django-init, which has exited), as 0640 files readable through
a group that only the containers reading secrets get; the accounts django-init made work. Values are never printed.
(On a VM, the settings files' owners and modes: test_vm.py.)
"""

import subprocess

import pytest
import requests
from stacklab_testing.target import CONTAINERS, JOBS
from stacklab_testing.web import TIMEOUT, base_url, hidden

pytestmark = pytest.mark.container

ACCOUNT_SECRETS = ("django_superuser_password", "django_demo_password_jon", "django_demo_password_brian")


def secrets_of(container: dict) -> set[str]:
    """The secrets mounted in a container (`docker inspect`), by name."""
    mounts = (m["Destination"] for m in container["Mounts"])
    return {path.removeprefix("/run/secrets/") for path in mounts if path.startswith("/run/secrets/")}


def inside(container: dict, *argv: str) -> str:
    return subprocess.run(["docker", "exec", container["Id"], *argv], capture_output=True, text=True, check=True).stdout


def test_the_django_app_holds_no_account_password(target, inspect):
    """The long-running app: the database password and the signing key, nothing else, in /run/secrets, and no
    account password in its settings or in the environment of its running server (pid 1, gunicorn)."""
    django = inspect("django")
    assert secrets_of(django) == {"postgres_password", "django_secret_key"}
    assert set(inside(django, "ls", "/run/secrets").split()) == {"postgres_password", "django_secret_key"}
    environment = "\n".join(django["Config"]["Env"]) + "\n" + inside(django, "cat", "/proc/1/environ")
    assert "DJANGO_SUPERUSER" not in environment and "DJANGO_DEMO_PASSWORD" not in environment
    leaked = [name for name in ACCOUNT_SECRETS if target.secret(name) in environment]
    assert not leaked, f"the django container's environment holds the value of {leaked}"


def test_only_the_one_shot_job_gets_the_account_passwords(inspect):
    holders = {name for name in CONTAINERS + JOBS if set(ACCOUNT_SECRETS) & secrets_of(inspect(name))}
    assert holders == {"django-init"}
    assert inspect("django-init")["State"]["Status"] == "exited", "django-init must have run and exited"


def test_secret_files_are_readable_by_the_group_the_container_gets(inspect):
    """Compose bind-mounts the host files as they are: 0640, in the group STACKLAB_SECRETS_GID, which exactly the
    containers with secrets get (group_add). Their own non-root user reads them; the other containers have no
    such group."""
    groups = set()
    for name in CONTAINERS:
        container = inspect(name)
        added = container["HostConfig"]["GroupAdd"] or []
        secrets = secrets_of(container)
        if not secrets:
            assert not added, f"{name} reads no secret but gets the group {added}"
            continue
        [gid] = added
        groups.add(gid)
        for secret in sorted(secrets):
            path = f"/run/secrets/{secret}"
            assert inside(container, "stat", "--format", "%a %g", path).split() == ["640", gid], f"{name}: {path}"
            # `test -r` as the container's user: readable through the group alone (the file's owner is the host's).
            subprocess.run(["docker", "exec", container["Id"], "test", "-r", path], check=True)
    assert len(groups) == 1, groups


def test_the_host_files_are_private(target):
    assert target.secrets_dir.stat().st_mode & 0o777 == 0o700
    for path in target.secrets_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o640, path


def test_the_superuser_django_init_made_logs_in(target):
    """The superuser reaches the admin with the password from its secret file (the demo users, made in the same
    step, log in in test_flows.py)."""
    base = base_url(target, "DJANGO_PORT")
    admin = requests.Session()
    form = admin.get(f"{base}/admin/login/?next=/admin/", timeout=TIMEOUT)
    reply = admin.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
            "username": "admin",
            "password": target.secret("django_superuser_password"),
            "next": "/admin/",
        },
        timeout=TIMEOUT,
    )
    assert reply.status_code == 200 and reply.url == f"{base}/admin/", reply.url
    assert "Site administration" in reply.text
