"""The one list of the lab's services: what each is called where, its port key, how it runs and how it is checked.

Everything else derives from it: the lab index page and its checks (stacklab_core.checks), the health suite for
compose and for a VM (tests/health), the deploy gate's pages (stacklab_deploy.gate), the swarm stack
(stacklab_swarm), the Ansible roles' per-stack values (its JSON), the unit tests; tests/unit/lab names what
docker/services.yml and the Dockerfiles say otherwise. Ports themselves live only in stack.env (stacklab_core.ports);
an entry names its key. docs/add-a-service.md says how to add one.

Standard library only and no imports from its package: `python3 core/src/stacklab_core/catalog.py` prints
the catalog as JSON (for Ansible and shell scripts) from any Python 3.11+, without the lab's venv.
"""

import json
import sys
from dataclasses import asdict, dataclass

# Check kinds (stacklab_core.checks.KINDS) that speak raw TCP: a browser cannot open these services.
TCP_CHECKS = frozenset({"echo", "recho", "echo_select", "chat"})


@dataclass(frozen=True)
class Service:
    name: str  # the check's name: the index page's row, `stacklab-check NAME`, the health suite's test id
    port_key: str  # its port in stack.env
    check: str  # the kind of black-box check (stacklab_core.checks.KINDS)
    summary: str  # what it is, for the index page
    stack: str  # services/<stack>, the Ansible playbook and role, the user stacklab-<stack>, the compose profile
    container: str  # the compose service whose process listens on the port (the front server, if any)
    unit: str  # on a VM, the systemd unit of its own process (the app's, behind a front server)
    app: str = ""  # the compose service behind the front server (gunicorn), if any
    front_unit: str = ""  # on a VM, the systemd unit of the front server in front of `unit`, if any
    backends: tuple[str, ...] = ()  # compose services it needs that publish no port (databases)
    # What runs it, in its container and in its systemd unit: `python -m MODULE ARGS` ("gunicorn": the app behind
    # the front server, graceful reload with HUP); "" when the front server runs it itself (CGI under Apache).
    module: str = ""
    args: tuple[str, ...] = ()
    # The uid (and gid) its container runs as: `USER uid:uid` in services/<stack>/Dockerfile, one per stack. On a
    # VM its processes run as `user` (the stacklab_app role's), whose number the system picks.
    uid: int = 0
    # One-shot compose services its app starts after (schema, accounts): they run once, exit 0 and stay exited.
    jobs: tuple[str, ...] = ()
    # With TLS on (a VM with stacklab_domain, docs/https.md) it answers on https://<name>.<domain>/: "beside" its
    # plain port, which keeps serving; "only": its plain port redirects there (login forms never go in clear).
    # "": no HTTPS (the course's socket and hand-written HTTP servers).
    https: str = ""
    # The page `fab deploy`'s gate fetches besides its check (stacklab_deploy.gate): (path, text the answer must
    # contain), a fresh token for {nonce} in both. A /healthz can answer while the app's real pages are broken.
    page: tuple[str, str] = ()
    # Its VM units' ceilings where they differ from the stacklab_app role's (memory_max, tasks_max, nofile): one
    # set per stack, as the role applies them to every unit of the app.
    limits: tuple[tuple[str, str], ...] = ()

    @property
    def http(self) -> bool:
        """A browser can open it."""
        return self.check not in TCP_CHECKS

    @property
    def gunicorn(self) -> bool:
        """`unit` runs gunicorn (the VM suite checks its graceful reload, the swarm stack replicates it)."""
        return self.module == "gunicorn"

    @property
    def front(self) -> str:
        """The front server its port belongs to: "nginx" (before the app), "apache" (which runs the CGI programs
        itself), "" (its own process listens)."""
        return "apache" if self.unit == "apache2" else self.front_unit

    @property
    def user(self) -> str:
        """Its user: the container's (uid) and, on a VM, its units' (Ansible's stacklab_app role)."""
        return f"stacklab-{self.stack}"

    @property
    def units(self) -> tuple[str, ...]:
        """Its systemd units on a VM: its own, then the front server's."""
        return tuple(u for u in (self.unit, self.front_unit) if u)

    @property
    def compose_services(self) -> tuple[str, ...]:
        """Its long-running compose services: the one with the port, the app behind it, its backends."""
        return tuple(s for s in (self.container, self.app, *self.backends) if s)

    def https_name(self, domain: str) -> str:
        """Its host name under the lab's domain when TLS is on; "" when it has no HTTPS address or TLS is off."""
        return f"{self.name}.{domain}" if self.https and domain else ""


# In the course's order; the index page and the checks keep it.
SERVICES = {
    s.name: s
    for s in (
        Service("echo", "ECHO_PORT", "echo", "one-shot TCP echo server (week 1)",
                stack="echo", container="echo", unit="stacklab-echo",
                module="stacklab_echo.echo_server", uid=10010, limits=(("tasks_max", "600"),)),
        Service("recho", "RECHO_PORT", "recho", "serial repeat-echo TCP server, one client at a time (week 2)",
                stack="echo", container="recho", unit="stacklab-recho",
                module="stacklab_echo.recho_server", uid=10010),
        Service("echo_select", "ECHO_SELECT_PORT", "echo_select", "concurrent select() echo server (weeks 2-3)",
                stack="echo", container="echo-select", unit="stacklab-echo-select",
                module="stacklab_echo.select_server", uid=10010),
        Service("chat", "CHAT_PORT", "chat", "chat server: every line to every client (week 4)",
                stack="chat", container="chat", unit="stacklab-chat",
                module="stacklab_chat.server", uid=10020),
        Service("hello_www", "HELLO_WWW_PORT", "hello", "hand-written HTTP server: Hello, world! (week 4)",
                stack="www", container="hello-www", unit="stacklab-hello-www",
                module="stacklab_www.hello_www", uid=10030),
        Service("echo_www", "ECHO_WWW_PORT", "path_echo", "hand-written HTTP server echoing the path (weeks 4-5)",
                stack="www", container="echo-www", unit="stacklab-echo-www",
                module="stacklab_www.echo_www", uid=10030),
        Service("ws30", "WS30_PORT", "listing", "thirty-minute web server: files and listings (weeks 4-5)",
                stack="www", container="ws30", unit="stacklab-ws30",
                module="stacklab_www.ws30", args=("--demo",), uid=10030),
        Service("cgi", "CGI_PORT", "cgi", "CGI echo under Apache httpd (week 6)",
                stack="cgi", container="cgi", unit="apache2", uid=10040, https="beside",
                page=("/cgi-bin/echo_cgi.py?message=gate-{nonce}", "Message: gate-{nonce}")),
        Service("wsgi", "WSGI_PORT", "healthz", "WSGI echo with message history, gunicorn (weeks 6-7)",
                stack="wsgi", container="wsgi-nginx", unit="stacklab-wsgi", app="wsgi", front_unit="nginx",
                module="gunicorn", uid=10050, https="beside",
                page=("/history", 'name="csrf_token"')),
        Service("flask", "FLASK_PORT", "healthz", "Flask echo and bookshop, gunicorn behind nginx (week 7)",
                stack="flask", container="flask-nginx", unit="stacklab-flask", app="flask", front_unit="nginx",
                module="gunicorn", uid=10060, https="only",
                page=("/detail/id3", "Foundations of Python Network Programming")),
        Service("django", "DJANGO_PORT", "healthz", "Django bookshop and mailing list (weeks 8-10)",
                stack="django", container="django-nginx", unit="stacklab-django", app="django", front_unit="nginx",
                backends=("postgres",), module="gunicorn", uid=10070, jobs=("django-init",), https="only",
                page=("/accounts/login/", 'name="csrfmiddlewaretoken"'), limits=(("memory_max", "256M"),)),
        Service("lab", "LAB_PORT", "healthz", "this index page and its health checks, gunicorn behind nginx",
                stack="lab", container="lab-nginx", unit="stacklab-lab", app="lab", front_unit="nginx",
                module="gunicorn", uid=10090, https="beside"),
    )
}  # fmt: skip


# The catalog entry whose app checks every other service (the lab index): the monitoring network's one client.
MONITOR = "lab"


# Where gunicorn listens in an app's container (GUNICORN_BIND in its image), on the app's back network.
APP_PORT = 8000

# The compose profile `monitoring` (docs/observability.md, "On compose"): Debian's Prometheus, Alertmanager and
# exporters, one compose service each, started only with the profile (the swarm stack leaves them out).
MONITORING_PROFILE = "monitoring"
MONITORING_SERVICES = ("prometheus", "alertmanager", "blackbox", "node-exporter")


def metrics_targets() -> dict[str, dict[str, str]]:
    """Where Prometheus reads each gunicorn app's own metrics (stacklab_core.metrics): service -> "vm_path", its
    path on a VM's loopback metrics server (http://127.0.0.1:${METRICS_PORT}<vm_path>, ansible/roles/nginx), and
    "compose", host:port of its app's container (path /metrics) on its back network, where the lab's app binds
    its alias alone (docs/compose.md, "Networks")."""
    return {
        s.name: {
            "vm_path": f"/metrics/{s.name}",
            "compose": f"{s.app}-gunicorn:{APP_PORT}" if s.name == MONITOR else f"{s.app}:{APP_PORT}",
        }
        for s in SERVICES.values()
        if s.gunicorn
    }


def networks() -> dict[str, dict]:
    """Compose network (swarm overlay) -> {"internal": bool, "services": [compose services]}. Each stack's
    published containers on a network of its own (NAME: the stack); an app with its front alone on NAME-back, a
    database with its app and jobs alone on NAME-db, both internal (no published port, no way out); `monitor`
    (internal) from the lab's app to every published container but the lab's own front, which it reaches on
    lab-back. So only a front reaches its app, only Django reaches PostgreSQL.

    The monitoring profile's (MONITORING_SERVICES): Prometheus on every gunicorn app's back network (its metrics;
    the lab's app reads Prometheus there, on lab-back), the blackbox exporter where the lab's app checks from
    (`monitor` and lab-back), the exporters with Prometheus alone on monitoring-back (internal), Prometheus and
    Alertmanager on `monitoring` (their published ports; Alertmanager's way out to a webhook or mail). A network
    only the profile uses says so ("profile"): the swarm stack has none of them."""
    nets: dict[str, dict] = {}

    def join(net: str, internal: bool, *names: str) -> None:
        members = nets.setdefault(net, {"internal": internal, "services": []})["services"]
        members += [n for n in names if n and n not in members]

    monitor = SERVICES[MONITOR]
    for s in SERVICES.values():
        join(s.stack, False, s.container)
        if s.app:
            join(f"{s.stack}-back", True, s.container, s.app)
        if s.backends:
            join(f"{s.stack}-db", True, s.app, *s.jobs, *s.backends)
        if s.container != monitor.container:
            join("monitor", True, monitor.app, s.container)
    prometheus, alertmanager, blackbox, node_exporter = MONITORING_SERVICES
    for s in SERVICES.values():
        if s.gunicorn:
            join(f"{s.stack}-back", True, prometheus)
        if s.container != monitor.container:
            join("monitor", True, blackbox)
    join(f"{monitor.stack}-back", True, blackbox)
    join("monitoring", False, prometheus, alertmanager)
    join("monitoring-back", True, prometheus, blackbox, node_exporter)
    for net in ("monitoring", "monitoring-back"):
        nets[net]["profile"] = MONITORING_PROFILE
    return nets


def stacks() -> dict[str, list[Service]]:
    """stack -> its services, both in catalog order."""
    grouped: dict[str, list[Service]] = {}
    for service in SERVICES.values():
        grouped.setdefault(service.stack, []).append(service)
    return grouped


def as_json() -> str:
    """The catalog for tools outside Python: every service (with its properties); per stack, its port keys,
    systemd units, compose services, user, uid, VM limits and the units the stacklab_app role writes; and where
    Prometheus reads the gunicorn apps' metrics (metrics_targets)."""
    services = [
        {
            **asdict(s),
            "limits": dict(s.limits),
            **{key: getattr(s, key) for key in ("http", "gunicorn", "front", "user")},
            "units": list(s.units),
            "compose_services": list(s.compose_services),
        }
        for s in SERVICES.values()
    ]
    by_stack = {
        stack: {
            "services": [s.name for s in members],
            "port_keys": [s.port_key for s in members],
            "units": list(dict.fromkeys(u for s in members for u in s.units)),
            "compose_services": list(dict.fromkeys(c for s in members for c in s.compose_services)),
            "user": members[0].user,
            "uid": members[0].uid,
            "limits": {key: value for s in members for key, value in s.limits},
            # Its own processes' units (not the front server's): what `python -m` runs in each.
            "processes": [{"unit": s.unit, "module": s.module, "args": list(s.args)} for s in members if s.module],
        }
        for stack, members in stacks().items()
    }
    return json.dumps({"services": services, "stacks": by_stack, "metrics": metrics_targets()}, indent=2)


def main() -> int:
    print(as_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
