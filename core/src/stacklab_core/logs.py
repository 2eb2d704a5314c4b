"""The lab's one access-log format, and which logs `./run logs`, `./run swarm logs` and `fab logs` read.

Every HTTP server of the lab (nginx, Apache, gunicorn, the hand-written servers of stacklab_www) writes one line per
request in the combined format plus two fields (docs/observability.md, "Logs"):

    ADDR - USER [TIME] "METHOD PATH PROTOCOL" STATUS BYTES "REFERER" "USER-AGENT" ms=DURATION rid=REQUEST_ID

ADDR is empty in gunicorn's lines behind a Unix socket (a VM: nginx connects without an address). DURATION is
whole milliseconds (Apache's %{ms}T; nginx has only seconds, turned into milliseconds by a map);
REQUEST_ID is the client's X-Request-ID when it is sane (REQUEST_ID below), else one the front made up, which it
passes to the app and sends back in the response: one request is followed from front to app by it. The nginx
side is ansible/roles/nginx/templates/stacklab-log.conf, Apache's services/cgi/conf/apache-site.conf.j2, gunicorn's
GUNICORN_FORMAT (each app's gunicorn.conf.py, checked equal by the unit tests).
"""

import argparse
import re
import subprocess
import sys
import time
import uuid

from stacklab_core import catalog

ERASE_LINE = re.compile(r"\x1b\[[0-9;]*K")
# A client's X-Request-ID kept as it is (nginx's map has the same pattern): anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{16,64}")
GUNICORN_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" ms=%(M)s rid=%({x-request-id}i)s'
ACCESS_LINE = re.compile(
    r'(?P<addr>\S*) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-) "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)" ms=(?P<ms>\d+) rid=(?P<rid>\S+)'
)


def parse_access(line: str) -> dict[str, str] | None:
    """The fields of the access-log line found in `line` (a journal or `docker compose logs` prefix may come
    first), with the request line split into method, path and protocol; None when there is none."""
    found = ACCESS_LINE.search(line)
    if not found:
        return None
    fields = found.groupdict()
    method, _, rest = fields["request"].partition(" ")
    path, _, protocol = rest.rpartition(" ")
    return {**fields, "method": method, "path": path, "protocol": protocol}


def request_id(sent: str | None) -> str:
    """The request id of a server that is its own front (stacklab_www): the client's if sane, else a new one."""
    return sent if sent and REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def access_line(addr: str, request: str, status: int, sent: int, headers: dict[str, str], ms: int, rid: str) -> str:
    """One line of the format for a hand-written server; `headers` has lower-cased names."""

    def quoted(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    referer, agent = (quoted(headers.get(name, "-")) for name in ("referer", "user-agent"))
    return f'{addr} - - [{when}] "{quoted(request)}" {status} {sent} "{referer}" "{agent}" ms={ms} rid={rid}'


# ---------------------------------------------------------------- what each target's logs command reads


def _service(name: str) -> catalog.Service | None:
    return catalog.SERVICES.get(name) or catalog.SERVICES.get(name.replace("-", "_"))


def compose_services(names: list[str]) -> list[str]:
    """Catalog names (or compose services) -> the compose services whose logs show them: the front and the app
    (`flask` -> flask-nginx, flask). None: every service."""
    known = {c for s in catalog.SERVICES.values() for c in s.compose_services}
    out: list[str] = []
    for name in names:
        service = _service(name)
        if service:
            out += [c for c in (service.container, service.app) if c]
        elif name in known:
            out.append(name)
        else:
            raise ValueError(f"unknown service {name!r}: one of {', '.join(catalog.SERVICES)} (or a compose service)")
    return list(dict.fromkeys(out))


def log_options() -> argparse.ArgumentParser:
    """SERVICE... [-f] [--since WHEN] [-n N] [-t]: what `./run logs` and `./run swarm logs` take."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("names", nargs="*")
    parser.add_argument("-f", "--follow", action="store_true")
    parser.add_argument("--since", default="")
    parser.add_argument("-n", "--tail", default="")
    parser.add_argument("-t", "--timestamps", action="store_true")
    return parser


def compose_logs(args: list[str], terminal: bool = False) -> list[str]:
    """`./run logs` ARGS -> the `docker compose logs` command line: catalog names mapped to their services; colours
    and line erasing only for a terminal (compose writes them into a pipe too)."""
    opts = log_options().parse_args(args)
    argv = ["docker", "compose", *([] if terminal else ["--ansi", "never"]), "logs"]
    argv += ["--follow"] * opts.follow + ["--timestamps"] * opts.timestamps
    argv += ["--since", opts.since] * bool(opts.since) + ["--tail", opts.tail] * bool(opts.tail)
    return argv + compose_services(opts.names)


def journal_units(names: list[str]) -> list[str]:
    """Catalog names or unit names -> the systemd units whose journal shows them (`flask` -> stacklab-flask,
    nginx). None: every unit of the lab."""
    if not names:
        return list(dict.fromkeys(u for s in catalog.SERVICES.values() for u in s.units))
    out: list[str] = []
    for name in names:
        service = _service(name)
        if service:
            out += service.units
        elif re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9@._-]*", name):
            out.append(name)
        else:
            raise ValueError(f"not a service or unit name: {name!r}")
    return list(dict.fromkeys(out))


def journalctl(units: list[str], follow: bool = False, since: str = "", lines: int | None = None) -> list[str]:
    """The journalctl command line that reads those units' journal (no sudo: the systemd-journal group)."""
    argv = ["journalctl", "--no-pager", "--output", "with-unit", "--quiet"]  # each line names its unit
    argv += [arg for unit in units for arg in ("--unit", unit)]
    if since:
        argv += ["--since", since]
    if lines is not None:
        argv += ["--lines", str(lines)]
    if follow:
        argv.append("--follow")
    return argv


def main(argv: list[str] | None = None) -> int:
    """`python -m stacklab_core.logs compose ARGS`: `docker compose logs` for ARGS (./run logs), its exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["compose"]:
        sys.exit("usage: python -m stacklab_core.logs compose [SERVICE...] [-f] [--since WHEN] [-n N] [-t]")
    try:
        command = compose_logs(args[1:], terminal=sys.stdout.isatty())
    except ValueError as exc:
        sys.exit(f"logs: {exc}")
    try:
        if sys.stdout.isatty():
            return subprocess.call(command)
        # Into a pipe, compose 2.26 still starts every line with "erase line" (ESC [2K) despite --ansi never.
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, errors="replace") as proc:
            for line in proc.stdout:
                sys.stdout.write(ERASE_LINE.sub("", line))
                sys.stdout.flush()
        return proc.returncode
    except KeyboardInterrupt:  # -f ended with Ctrl-C, which docker got too
        return 130


if __name__ == "__main__":
    sys.exit(main())
