"""Black-box protocol checks of every lab service, shared by the health suite, the lab index and `fab status`.

Each check makes one real exchange with a service and returns a short detail on success or raises CheckFailed
with a message that says what was expected and what happened. Stable API:

    CheckFailed                        the one exception a check raises
    Result(name, ok, detail, seconds)  one check's outcome
    CHECKS                             name -> check(host, ports, timeout) -> detail, one per catalog service
    KINDS                              kind -> probe(host, port, ports, timeout) -> detail (the catalog's `check`)
    run(target, ports, names=None, timeout=3.0) -> list[Result]   all (or the named) checks, concurrently
    parse_targets(text)                "echo=echo,chat=chat:50004,127.0.0.1" -> {name: "host[:port]"}

`ports` is the port plan (`stacklab_core.ports.load()`); `target` is one host for every service or a mapping
name -> "host" or "host:port" (the port then overrides the plan's, e.g. a compose service's internal port).
A service's check is the function of its kind (stacklab_core.catalog) on the port of its `port_key`.
Standard library only: the checks run wherever a Python 3.11+ does.
"""

import argparse
import http.client
import json
import re
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from . import ports as port_plan
from .catalog import SERVICES, Service

MAX_REPLY = 1 << 20  # bytes read from any service: a broken server cannot make a check hoard memory


class CheckFailed(Exception):
    """A service did not behave as the course describes; the message says how."""


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float


Check = Callable[[str, Mapping[str, str], float], str]  # (host, plan, timeout) -> detail
Probe = Callable[[str, int, Mapping[str, str], float], str]  # (host, port, plan, timeout) -> detail


# --- plumbing -------------------------------------------------------------------------------------------------


@contextmanager
def _connection(host: str, port: int, timeout: float):
    """A TCP connection whose socket errors become CheckFailed naming the address."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            yield sock
    except TimeoutError:
        raise CheckFailed(f"{host}:{port}: no answer within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise CheckFailed(f"{host}:{port}: connection refused (is the server running?)") from None
    except OSError as exc:
        raise CheckFailed(f"{host}:{port}: {exc.strerror or exc}") from None


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except TimeoutError:
            raise CheckFailed(f"incomplete reply {data!r}" if data else "no reply within the timeout") from None
        if not chunk:
            raise CheckFailed(f"connection closed after {data!r}")
        data += chunk
    return data


def _recv_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while len(data) < MAX_REPLY:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise CheckFailed(f"the server did not close the connection after replying {data!r}") from None
        if not chunk:
            return data
        data += chunk
    raise CheckFailed(f"reply longer than {MAX_REPLY} bytes")


def _recv_line_with(sock: socket.socket, buffer: bytearray, needle: bytes) -> bytes:
    """The next newline-terminated line containing `needle`; lines of other chat users are skipped."""
    while True:
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[: end + 1])
            del buffer[: end + 1]
            if needle in line:
                return line
        if len(buffer) > MAX_REPLY:
            raise CheckFailed("no newline in 1 MiB of chat output")
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise CheckFailed(f"message {needle.decode()!r} not received (partial input {bytes(buffer)!r})") from None
        if not chunk:
            raise CheckFailed(f"connection closed before message {needle.decode()!r} arrived")
        buffer += chunk


def _expect_echo(sock: socket.socket, prefix: str, message: str) -> None:
    want = f"{prefix}: {message}".encode()
    sock.sendall(message.encode())
    got = _recv_exactly(sock, len(want))
    if got != want:
        raise CheckFailed(f"sent {message!r}, expected {want.decode()!r}, got {got!r}")


def _http_get(host: str, port: int, path: str, timeout: float) -> tuple[int, str, str]:
    """(status, content type, body) of one GET; protocol errors become CheckFailed."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "stacklab-check"})
        response = conn.getresponse()
        body = response.read(MAX_REPLY).decode("utf-8", errors="replace")
        return response.status, response.getheader("Content-Type", ""), body
    except TimeoutError:
        raise CheckFailed(f"GET http://{host}:{port}{path}: no answer within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise CheckFailed(f"GET http://{host}:{port}{path}: connection refused (is the server running?)") from None
    except http.client.HTTPException as exc:
        raise CheckFailed(f"GET http://{host}:{port}{path}: malformed HTTP response ({type(exc).__name__})") from None
    except OSError as exc:
        raise CheckFailed(f"GET http://{host}:{port}{path}: {exc.strerror or exc}") from None
    finally:
        conn.close()


def _get_ok(host: str, port: int, path: str, timeout: float, must_contain: str = "") -> str:
    status, content_type, body = _http_get(host, port, path, timeout)
    if status != 200:
        raise CheckFailed(f"GET {path}: status {status}, expected 200 ({_excerpt(body)})")
    if must_contain and must_contain not in body:
        raise CheckFailed(f"GET {path}: {must_contain!r} not in the body ({_excerpt(body)})")
    return content_type


def _excerpt(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= size else text[:size] + "...")


def _healthz(host: str, port: int, timeout: float) -> str:
    _get_ok(host, port, "/healthz", timeout)
    return "GET /healthz 200"


def _nonce() -> str:
    return secrets.token_hex(3)  # tells this check's messages from other clients' in shared services


# --- one probe per kind of check (the catalog's `check`) -----------------------------------------------------


def probe_echo(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """Send `Hello, world`; expect exactly `PREFIX: Hello, world`, then the server closes."""
    want = f"{plan['ECHO_PREFIX']}: Hello, world".encode()
    with _connection(host, port, timeout) as sock:
        sock.sendall(b"Hello, world")
        got = _recv_until_closed(sock)
    if got != want:
        raise CheckFailed(f"sent 'Hello, world', expected {want.decode()!r}, got {got!r}")
    return f"replied {got.decode()!r} and closed"


def probe_recho(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """Two messages on one connection, each echoed with the prefix (serial server: busy with another client = fail)."""
    with _connection(host, port, timeout) as sock:
        for message in ("stacklab check one", "stacklab check two"):
            _expect_echo(sock, plan["ECHO_PREFIX"], message)
    return "two messages echoed on one connection"


def probe_echo_select(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """Two clients connected at once, interleaved; each gets only its own echo."""
    with _connection(host, port, timeout) as first, _connection(host, port, timeout) as second:
        _expect_echo(second, plan["ECHO_PREFIX"], "stacklab check B1")
        _expect_echo(first, plan["ECHO_PREFIX"], "stacklab check A1")
        _expect_echo(second, plan["ECHO_PREFIX"], "stacklab check B2")
    return "two concurrent clients, each echoed"


_CHAT_LINE = re.compile(rb"^(?P<prefix>.*) (?P<sender>\('[^']*', \d+\)): (?P<message>.*)\n$")


def _chat_sender(line: bytes, prefix: bytes, message: bytes, who: str) -> bytes:
    """The sender tuple of a chat line in the course's format, else CheckFailed."""
    match = _CHAT_LINE.match(line)
    if not match or match["prefix"] != prefix or match["message"] != message:
        want = f"{prefix.decode()} ('<ip>', <port>): {message.decode()}"
        raise CheckFailed(f"{who} got {line!r}, expected {want!r}")
    return match["sender"]


def probe_chat(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """A message from one client reaches both, as `PREFIX ('ip', port): message` with the same sender tuple."""
    prefix = plan["ECHO_PREFIX"].encode()
    nonce = _nonce()
    with _connection(host, port, timeout) as alice:
        alice_in = bytearray()
        hello = f"stacklab check {nonce} alice here".encode()
        alice.sendall(hello + b"\n")
        # Her own line coming back shows that alice is registered before bob speaks.
        _chat_sender(_recv_line_with(alice, alice_in, hello), prefix, hello, "alice")
        with _connection(host, port, timeout) as bob:
            message = f"stacklab check {nonce} from bob".encode()
            bob.sendall(message + b"\n")
            to_bob = _chat_sender(_recv_line_with(bob, bytearray(), message), prefix, message, "bob")
            to_alice = _chat_sender(_recv_line_with(alice, alice_in, message), prefix, message, "alice")
    if to_bob != to_alice:
        raise CheckFailed(f"the two clients saw different senders: {to_bob!r} and {to_alice!r}")
    return f"bob's message reached bob and alice from {to_alice.decode()}"


def probe_hello(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """`GET /` is 200 with `Hello, world!`."""
    _get_ok(host, port, "/", timeout, "Hello, world!")
    return "GET / 200 'Hello, world!'"


def probe_path_echo(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """`GET /<nonce path>` is 200 and shows `PREFIX: <path>`."""
    path = f"/stacklab-check-{_nonce()}"
    _get_ok(host, port, path, timeout, f"{plan['ECHO_PREFIX']}: {path}")
    return f"GET {path} echoed"


def probe_listing(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """`GET /` is a 200 HTML page with links: a directory listing."""
    content_type = _get_ok(host, port, "/", timeout, "href=")
    if not content_type.startswith("text/html"):
        raise CheckFailed(f"GET /: Content-Type {content_type!r}, expected text/html for a directory listing")
    return "GET / 200 listing"


def probe_cgi(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """`GET /healthz` 200, then the echo CGI program echoes a nonce in an HTML page."""
    _healthz(host, port, timeout)
    message = f"stacklab-check-{_nonce()}"
    path = f"/cgi-bin/echo_cgi.py?message={message}"
    content_type = _get_ok(host, port, path, timeout, f"Message: {message}")
    if not content_type.startswith("text/html"):
        raise CheckFailed(f"GET {path}: Content-Type {content_type!r}, expected text/html")
    return "GET /healthz 200, echo_cgi.py echoed"


def probe_healthz(host: str, port: int, plan: Mapping[str, str], timeout: float = 3.0) -> str:
    """`GET /healthz` is 200 (every HTTP app of the lab answers it, checking its own store)."""
    return _healthz(host, port, timeout)


KINDS: dict[str, Probe] = {
    "echo": probe_echo,
    "recho": probe_recho,
    "echo_select": probe_echo_select,
    "chat": probe_chat,
    "hello": probe_hello,
    "path_echo": probe_path_echo,
    "listing": probe_listing,
    "cgi": probe_cgi,
    "healthz": probe_healthz,
}


def _service_check(service: Service) -> Check:
    probe = KINDS[service.check]

    def check(host: str, plan: Mapping[str, str], timeout: float = 3.0) -> str:
        return probe(host, port_plan.port(plan, service.port_key), plan, timeout)

    check.__name__ = f"check_{service.name}"
    check.__doc__ = f"{service.name}: probe_{service.check} on the plan's {service.port_key}."
    return check


CHECKS: dict[str, Check] = {name: _service_check(service) for name, service in SERVICES.items()}


# --- running them ---------------------------------------------------------------------------------------------


def run(
    target: str | Mapping[str, str], ports: Mapping[str, str], names: Iterable[str] | None = None, timeout: float = 3.0
) -> list[Result]:
    """Run the named checks (default: all, in CHECKS order) at once; one Result each, in the order asked."""
    names = list(CHECKS) if names is None else list(names)
    if unknown := [name for name in names if name not in CHECKS]:
        raise ValueError(f"unknown checks {unknown}; known: {', '.join(CHECKS)}")
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        futures = [pool.submit(_run_one, name, target, ports, timeout) for name in names]
        return [future.result() for future in futures]


def _run_one(name: str, target: str | Mapping[str, str], ports: Mapping[str, str], timeout: float) -> Result:
    start = time.monotonic()
    try:
        host, plan = _address(name, target, ports)
        detail, ok = CHECKS[name](host, plan, timeout), True
    except CheckFailed as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # a bug or a bad port plan must show as a failed check, not hide the others
        detail, ok = f"check error: {type(exc).__name__}: {exc}", False
    return Result(name, ok, detail, round(time.monotonic() - start, 3))


def _address(name: str, target: str | Mapping[str, str], ports: Mapping[str, str]) -> tuple[str, Mapping[str, str]]:
    """The host to check and the plan to use, with a per-service port override from "host:port"."""
    if isinstance(target, str):
        return target, ports
    if name not in target:
        raise CheckFailed(f"no target host given for {name}")
    host, port = _split_host_port(target[name])
    if port is None:
        return host, ports
    return host, {**ports, SERVICES[name].port_key: port}


def _split_host_port(spec: str) -> tuple[str, str | None]:
    if spec.startswith("["):  # [::1] or [::1]:8000
        host, _, rest = spec[1:].partition("]")
        return host, rest[1:] or None
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, port
    return spec, None


def parse_targets(text: str, default: str = "127.0.0.1") -> dict[str, str]:
    """Comma-separated `name=host[:port]` entries; a bare `host` entry replaces the default for the rest, and the
    bare entry `compose` sends each of the rest to its compose service (the catalog's `compose`) by name."""
    named = {}
    compose = False
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, sep, host = entry.partition("=")
        if not sep:
            default, compose = entry, entry == "compose"
            continue
        if name.strip() not in CHECKS:
            raise ValueError(f"target {entry!r}: unknown service {name.strip()!r}; known: {', '.join(CHECKS)}")
        if not host.strip():
            raise ValueError(f"target {entry!r}: no host")
        named[name.strip()] = host.strip()
    return {name: named.get(name, SERVICES[name].container if compose else default) for name in CHECKS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check every lab service with a real protocol exchange.")
    parser.add_argument("names", nargs="*", help=f"checks to run (default all): {', '.join(CHECKS)}")
    parser.add_argument("--target", default="127.0.0.1", help="host, or name=host[:port],... (default 127.0.0.1)")
    parser.add_argument("--env-file", help="the port plan (default: environment and the nearest stack.env)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per network wait (default 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    try:
        results = run(parse_targets(args.target), port_plan.load(args.env_file), args.names or None, args.timeout)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    if args.json:
        print(json.dumps([asdict(result) for result in results], indent=2))
    else:
        for r in results:
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.name:<12} {r.seconds:6.2f}s  {r.detail}")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
