"""The one list of the lab's services: what each is called where, its port key and how it is checked.

Everything else derives from it: the lab index page and its checks (stacklab_core.checks), the health suite for
compose and for a VM (tests/health), the unit tests. Ports themselves live only in stack.env (stacklab_core.ports);
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
    gunicorn: bool = False  # `unit` runs gunicorn (graceful reload with HUP)
    # One-shot compose services its app starts after (schema, accounts): they run once, exit 0 and stay exited.
    jobs: tuple[str, ...] = ()
    # With TLS on (a VM with stacklab_domain, docs/https.md) it answers on https://<name>.<domain>/: "beside" its
    # plain port, which keeps serving; "only": its plain port redirects there (login forms never go in clear).
    # "": no HTTPS (the course's socket and hand-written HTTP servers).
    https: str = ""

    @property
    def http(self) -> bool:
        """A browser can open it."""
        return self.check not in TCP_CHECKS

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
                stack="echo", container="echo", unit="stacklab-echo"),
        Service("recho", "RECHO_PORT", "recho", "serial repeat-echo TCP server, one client at a time (week 2)",
                stack="echo", container="recho", unit="stacklab-recho"),
        Service("echo_select", "ECHO_SELECT_PORT", "echo_select", "concurrent select() echo server (weeks 2-3)",
                stack="echo", container="echo-select", unit="stacklab-echo-select"),
        Service("chat", "CHAT_PORT", "chat", "chat server: every line to every client (week 4)",
                stack="chat", container="chat", unit="stacklab-chat"),
        Service("hello_www", "HELLO_WWW_PORT", "hello", "hand-written HTTP server: Hello, world! (week 4)",
                stack="www", container="hello-www", unit="stacklab-hello-www"),
        Service("echo_www", "ECHO_WWW_PORT", "path_echo", "hand-written HTTP server echoing the path (weeks 4-5)",
                stack="www", container="echo-www", unit="stacklab-echo-www"),
        Service("ws30", "WS30_PORT", "listing", "thirty-minute web server: files and listings (weeks 4-5)",
                stack="www", container="ws30", unit="stacklab-ws30"),
        Service("cgi", "CGI_PORT", "cgi", "CGI echo under Apache httpd (week 6)",
                stack="cgi", container="cgi", unit="apache2", https="beside"),
        Service("wsgi", "WSGI_PORT", "healthz", "WSGI echo with message history, gunicorn (weeks 6-7)",
                stack="wsgi", container="wsgi-nginx", unit="stacklab-wsgi", app="wsgi", front_unit="nginx",
                gunicorn=True, https="beside"),
        Service("flask", "FLASK_PORT", "healthz", "Flask echo and bookshop, gunicorn behind nginx (week 7)",
                stack="flask", container="flask-nginx", unit="stacklab-flask", app="flask", front_unit="nginx",
                gunicorn=True, https="only"),
        Service("django", "DJANGO_PORT", "healthz", "Django bookshop and mailing list (weeks 8-10)",
                stack="django", container="django-nginx", unit="stacklab-django", app="django", front_unit="nginx",
                backends=("postgres",), gunicorn=True, jobs=("django-init",), https="only"),
        Service("lab", "LAB_PORT", "healthz", "this index page and its health checks, gunicorn behind nginx",
                stack="lab", container="lab-nginx", unit="stacklab-lab", app="lab", front_unit="nginx",
                gunicorn=True, https="beside"),
    )
}  # fmt: skip


def stacks() -> dict[str, list[Service]]:
    """stack -> its services, both in catalog order."""
    grouped: dict[str, list[Service]] = {}
    for service in SERVICES.values():
        grouped.setdefault(service.stack, []).append(service)
    return grouped


def as_json() -> str:
    """The catalog for tools outside Python: every service (with http, units and compose_services) and, per
    stack, its port keys, systemd units and compose services."""
    services = [
        {**asdict(s), "http": s.http, "units": list(s.units), "compose_services": list(s.compose_services)}
        for s in SERVICES.values()
    ]
    by_stack = {
        stack: {
            "services": [s.name for s in members],
            "port_keys": [s.port_key for s in members],
            "units": list(dict.fromkeys(u for s in members for u in s.units)),
            "compose_services": list(dict.fromkeys(c for s in members for c in s.compose_services)),
        }
        for stack, members in stacks().items()
    }
    return json.dumps({"services": services, "stacks": by_stack}, indent=2)


def main() -> int:
    print(as_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
