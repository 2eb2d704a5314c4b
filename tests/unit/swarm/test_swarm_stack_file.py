"""stacklab_swarm's stack file from a resolved compose file, without Docker: what it keeps and drops, host-mode
ports where the plan publishes them, the deploy policies the catalog implies, secrets, tmpfs and the nginx fronts'
site configs (tests/swarm/test_stack_file.py checks the real `docker compose config` and swarm's own loader)."""

from pathlib import Path

import pytest
from stacklab_core.catalog import SERVICES
from stacklab_swarm import cli, sites, stack_file

INSIDE = {"FLASK_PORT": "5000", "CHAT_PORT": "7000", "ECHO_PREFIX": "echo"}
PUBLISHED = {**INSIDE, "FLASK_PORT": "15000"}
HEALTH = {"test": ["CMD", "stacklab-probe", "http", "8000", "/healthz"], "interval": "5s"}


def config() -> dict:
    """A slice of `docker compose config --format json`: a base image, a server, an app, its front, a database
    and a one-shot job."""
    common = {"read_only": True, "cap_drop": ["ALL"], "tmpfs": ["/tmp"], "mem_limit": str(64 * 2**20)}
    return {
        "services": {
            "python": {"image": "stacklab/python", "scale": 0},
            "chat": {**common, "image": "stacklab/chat", "build": {"context": "."}, "restart": "unless-stopped",
                     "ports": [{"target": 7000, "published": "7000", "protocol": "tcp"}], "depends_on": {},
                     "networks": {"chat": None, "monitor": None}},
            "flask": {**common, "image": "stacklab/flask", "healthcheck": HEALTH, "group_add": ["1234"],
                      "secrets": [{"source": "flask_secret_key", "target": "/run/secrets/flask_secret_key"}],
                      "volumes": [{"type": "volume", "source": "flask-data", "target": "/var/lib/stacklab-flask"}]},
            "flask-nginx": {**common, "image": "stacklab/flask-nginx",
                            "ports": [{"target": 5000, "published": "5000"}],
                            "networks": {"flask": None, "flask-back": {"aliases": ["front"]}}},
            "postgres": {**common, "image": "stacklab/postgres", "shm_size": str(128 * 2**20),
                         "volumes": [{"type": "volume", "source": "django-db", "target": "/var/lib/postgresql/data"}]},
            "django-init": {**common, "image": "stacklab/django", "command": ["stacklab-django-init"]},
        },
        "volumes": {"flask-data": {}, "django-db": {}},
        "networks": {"chat": {"name": "stacklab_chat", "ipam": {}}, "flask": {"name": "stacklab_flask"},
                     "flask-back": {"internal": True}, "monitor": {"name": "stacklab_monitor", "internal": True}},
        "secrets": {"flask_secret_key": {"file": "/secrets/flask_secret_key"}},
    }  # fmt: skip


@pytest.fixture
def stack(monkeypatch, tmp_path):
    """The stack file of config(), with the images' users and the fronts' sites stubbed (Docker, render_conf)."""
    monkeypatch.setattr(stack_file, "image_user", lambda image: ("10060", "10060"))
    site = tmp_path / "flask-nginx.conf"
    site.write_text("server {}\n")
    monkeypatch.setattr(stack_file, "site", lambda front, inside: (site, "/etc/nginx/conf.d/stacklab-flask.conf"))
    return stack_file.from_compose(config(), INSIDE, PUBLISHED)


def test_base_images_and_compose_only_keys_are_dropped(stack):
    assert list(stack["services"]) == ["chat", "flask", "flask-nginx", "postgres", "django-init"]
    chat = stack["services"]["chat"]
    assert {"build", "restart", "depends_on", "mem_limit", "tmpfs"}.isdisjoint(chat)
    assert (chat["read_only"], chat["cap_drop"]) == (True, ["ALL"])
    assert chat["deploy"]["resources"] == {"limits": {"memory": "64M"}}
    assert stack["volumes"] == {"flask-data": {}, "django-db": {}}
    assert stack["secrets"] == {"flask_secret_key": {"file": "/secrets/flask_secret_key"}}


def test_ports_are_host_mode_where_the_plan_publishes_them(stack):
    assert stack["services"]["flask-nginx"]["ports"] == [
        {"target": 5000, "published": 15000, "protocol": "tcp", "mode": "host"}
    ]
    assert stack["services"]["chat"]["ports"][0]["published"] == 7000


def test_deploy_policies_follow_the_catalog(stack):
    deploy = {name: service["deploy"] for name, service in stack["services"].items()}
    assert set(stack_file.APPS) == {s.app for s in SERVICES.values() if s.gunicorn}
    assert deploy["flask"]["replicas"] == stack_file.APP_REPLICAS
    assert deploy["flask"]["update_config"]["order"] == "start-first"
    assert deploy["flask"]["update_config"]["delay"] == stack_file.NEXT_REPLICA_DELAY
    assert (deploy["chat"]["replicas"], deploy["chat"]["update_config"]["order"]) == (1, "stop-first")
    assert deploy["postgres"]["placement"] == {"constraints": ["node.labels.stacklab.db == true"]}
    assert deploy["django-init"]["restart_policy"]["condition"] == "on-failure"
    assert "update_config" not in deploy["django-init"]
    assert all(d["endpoint_mode"] == "dnsrr" for d in deploy.values())


def test_secrets_mounts_and_front_configs(stack):
    flask = stack["services"]["flask"]
    assert flask["secrets"] == [
        {"source": "flask_secret_key", "target": "flask_secret_key", "uid": "10060", "gid": "10060", "mode": 0o400}
    ]
    assert {"type": "volume", "source": "flask-data", "target": "/var/lib/stacklab-flask"} in flask["volumes"]
    shm = {"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": 128 * 2**20}}
    assert shm in stack["services"]["postgres"]["volumes"]
    [(name, conf)] = stack["configs"].items()
    assert name.startswith("flask-nginx-site-") and Path(conf["file"]).read_text() == "server {}\n"
    front = stack["services"]["flask-nginx"]
    assert front["configs"] == [{"source": name, "target": "/etc/nginx/conf.d/stacklab-flask.conf", "mode": 0o444}]
    assert front["sysctls"] == {"net.ipv4.tcp_tw_reuse": 1}


def test_networks_are_compose_s_as_overlays(stack):
    """Internal where compose's are; attachable; each service on its own networks with its aliases (a service
    with none stays on the default network, as in compose)."""
    overlay = {"driver": "overlay", "attachable": True}
    assert stack["networks"] == {
        "chat": overlay, "monitor": {**overlay, "internal": True}, "default": overlay,
        "flask-back": {**overlay, "internal": True}, "flask": overlay,
    }  # fmt: skip
    services = stack["services"]
    assert services["chat"]["networks"] == {"chat": None, "monitor": None}
    assert services["flask-nginx"]["networks"] == {"flask": None, "flask-back": {"aliases": ["front"]}}
    assert services["postgres"]["networks"] == {"default": None}


def test_every_nginx_front_of_the_catalog_gets_its_site(monkeypatch, tmp_path):
    monkeypatch.setattr(sites, "BUILD", tmp_path)
    assert sorted(sites.FRONTS) == sorted(s.container for s in SERVICES.values() if s.front == "nginx")
    for front, service in sites.FRONTS.items():
        file, path = sites.site(front, {"FLASK_PORT": "5000"})
        assert path == f"/etc/nginx/conf.d/stacklab-{service.stack}.conf"
        assert f"set ${service.app}_upstream {service.app}:8000;" in file.read_text()


def test_the_command_line_knows_its_tasks(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "{config,up,status,wait,down,teardown,push}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["deploy"])
