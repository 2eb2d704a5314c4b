"""`./run try SERVICE PROGRAM [ARGS...]`: the student's own server in place of the lab's, on the same port and with
the same limits; `./run try SERVICE --stop` puts the lab's server back (docs/exercises.md, "Try your server in the
lab").

The compose service keeps every setting of docker/services.yml (user, read-only root, limits, no capabilities,
networks, 127.0.0.1 publishing): an override file, build/try/SERVICE.yml, swaps only its command, under an init, for
`python3 /try/PROGRAM PORT ARGS...` and bind-mounts the program read-only (ws30: its document root too, the
grader's fixture, as the working directory). Once something listens, the matching exercise is graded through the
published port (chat at the container's address) and the result written to build/try/NAME.json, which the lab
index (mounted read-only) shows.
Exit status: 0 in place and every check passes, 1 in place with a failing check, 2 not in place (the lab's is back).
"""

import argparse
import datetime
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from stacklab_core import checks, ports
from stacklab_core.catalog import SERVICES
from stacklab_grading import engine, report
from stacklab_grading.exercises import EXERCISES
from stacklab_grading.exercises.ws30 import write_docroot

STATE = Path("build/try")  # also the lab container's LAB_TRY_DIR (docker/services.yml)
EXERCISE_OF = {"echo_select": "select_echo"}  # catalog name -> exercise name, where they differ
TRYABLE = ("echo", "recho", "echo_select", "chat", "hello_www", "echo_www", "ws30")
LISTEN_WAIT = 10.0  # seconds a program may take to listen
BACK_WAIT = 30.0  # seconds the lab's server may take to answer again


class TryError(Exception):
    """A try that could not be put in place: the message says why and what to do."""


def compose(*args: str, override: Path | None = None) -> subprocess.CompletedProcess:
    files = ["-f", "docker-compose.yml", *(["-f", str(override)] if override else [])]
    return subprocess.run(["docker", "compose", *files, *args], check=True, capture_output=True, text=True)


def service_of(name: str):
    service = SERVICES.get(name.replace("-", "_"))
    if service is None or service.name not in TRYABLE:
        raise TryError(f"{name}: not a service you can try; one of: {', '.join(TRYABLE)}")
    return service


def check_program(program: Path) -> None:
    if not program.is_file():
        raise TryError(f"{program}: no such file")
    if program.suffix != ".py":
        raise TryError(f"{program}: not a Python file (.py): the lab runs it with its image's python3")
    if not program.stat().st_mode & stat.S_IROTH:
        raise TryError(f"{program}: the container's user cannot read it: chmod o+r {program}")


def override(service, program: Path, port: int, args: list[str]) -> Path:
    """build/try/SERVICE.yml: the command and the read-only mounts, nothing else of the service's settings."""
    target = f"/try/{program.name}"
    mounts = [{"type": "bind", "source": str(program.resolve()), "target": target, "read_only": True}]
    # init: python as PID 1 ignores SIGTERM, and every stop would wait compose's 10 s for the SIGKILL.
    entry = {"command": ["python3", target, str(port), *args], "volumes": mounts, "init": True}
    if service.name == "ws30":  # the exercise serves the directory it runs in: the grader's fixture
        docroot = STATE / "ws30-docroot"
        write_docroot(docroot)
        mounts.append({"type": "bind", "source": str(docroot.resolve()), "target": "/srv/docroot", "read_only": True})
        entry["working_dir"] = "/srv/docroot"
    path = STATE / f"{service.container}.yml"
    path.write_text(json.dumps({"services": {service.container: entry}}, indent=2) + "\n")  # JSON is YAML
    return path


def listeners(cid: str) -> list[tuple[str, int]]:
    """The (address, port) pairs listening in the container's network namespace, from /proc/net/tcp{,6}."""
    cat = ["docker", "exec", cid, "cat", "/proc/net/tcp", "/proc/net/tcp6"]
    out = subprocess.run(cat, check=False, capture_output=True, text=True).stdout
    found = []
    for row in out.splitlines():
        words = row.split()
        if len(words) > 3 and words[3] == "0A":  # LISTEN
            address, port = words[1].rsplit(":", 1)
            found.append((address, int(port, 16)))
    return found


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ).stdout


def last_output(cid: str) -> str:
    return "\n".join("  | " + line for line in docker("logs", "--tail", "15", cid).rstrip().splitlines())


def limits_note(cid: str) -> str:
    """What to say when the program died while being graded (compose restarted it): the lab's limits."""
    if not (restarts := state(cid)[2]):
        return ""
    limits = docker("inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", cid).split()
    return (
        f"try: your program stopped {restarts} time(s) while it was graded (compose restarted it). The lab's "
        f"limits: {int(limits[0]) >> 20} MiB of memory, {limits[1]} processes and threads (a thread per client "
        f"meets it); its last output:\n{last_output(cid)}\n"
    )


def state(cid: str) -> tuple[str, int, int]:
    """The container's status, exit code and restart count."""
    out = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", cid).split()
    return out[0], int(out[1]), int(out[2])


def wait_listening(service, port: int) -> None:
    """Until the program listens on the port on every address, or a TryError that says what it does instead."""
    deadline = time.monotonic() + LISTEN_WAIT
    cid = compose("ps", "--all", "-q", service.container).stdout.strip()
    while True:
        status, code, restarts = state(cid)
        if status != "running" or restarts:  # restarted, it is running again: its exit code is gone
            how = f"exited at once (status {code})" if status != "running" else "exited at once"
            raise TryError(
                f"your program {how} (one that reads stdin stops at once: it has none in the container); its last "
                f"output:\n{last_output(cid)}"
            )
        found = listeners(cid)
        bound = [address for address, p in found if p == port]
        if any(set(address) == {"0"} for address in bound):  # 0.0.0.0 or ::
            return
        if bound:  # /proc/net/tcp writes 127.0.0.1 as 0100007F, tcp6's ::1 ends 01000000
            where = (
                "loopback address only (127.0.0.1 or localhost)"
                if bound[0].endswith(("7F", "01000000"))
                else ("one address only")
            )
            raise TryError(
                f"your program listens on port {port} on the container's {where}: nothing outside the container "
                f"can reach it. Bind every address in the container: socket.create_server(('', {port})) or "
                f"('0.0.0.0', {port})"
            )
        if time.monotonic() > deadline:
            others = sorted({p for _, p in found})
            why = f"it listens on port {others[0]} instead" if others else "nothing listens"
            raise TryError(
                f"after {LISTEN_WAIT:g} s, {why}: listen on port {port}, which the lab passes as sys.argv[1], on "
                "every address ('' or '0.0.0.0', not 127.0.0.1)"
            )
        time.sleep(0.1)


def container_address(service) -> str:
    """The container's address on its stack's network (not internal: the host has a leg on it)."""
    cid = compose("ps", "-q", service.container).stdout.strip()
    networks = json.loads(docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", cid))
    return next(n["IPAddress"] for name, n in networks.items() if name.endswith(f"_{service.stack}"))


def grade(service, plan: dict, program: Path) -> bool:
    """Grade the exercise through the published port (chat: see below); print it; write build/try/NAME.json."""
    exercise = EXERCISES[EXERCISE_OF.get(service.name, service.name)]
    host, port = os.environ.get("PUBLISH_ADDR") or "127.0.0.1", ports.port(plan, service.port_key)
    if service.name == "chat":  # its lines name the sender as the server sees it: Docker's proxy, at the port
        host = container_address(service)
    prefix = plan.get("ECHO_PREFIX") or engine.DEFAULT_PREFIX
    results = engine.run(exercise, engine.Context(host, port, prefix, 3.0))
    text = report.terminal(exercise, results, f"{host}:{port} ({program.name}, in the lab's {service.container})")
    sys.stdout.write(text)
    passed = all(r.status == "pass" for r in results)
    record = {
        "service": service.name,
        "program": program.name,
        "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "exercise": exercise.name,
        "command": f"stacklab-check exercise {exercise.name} --target {host}:{port} --prefix {prefix}",
        "passed": passed,
        "summary": report.summary(results),
        "report": text,
    }
    temporary = STATE / f".{service.name}.json"
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(STATE / f"{service.name}.json")  # the lab never reads half a file
    return passed


def put_back(service, plan: dict) -> None:
    """The lab's own server again, with its compose definition alone; back when its health check passes."""
    (STATE / f"{service.name}.json").unlink(missing_ok=True)
    compose("up", "--detach", "--no-deps", service.container)
    host = os.environ.get("PUBLISH_ADDR") or "127.0.0.1"
    deadline = time.monotonic() + BACK_WAIT
    while not (result := checks.run(host, plan, names=[service.name], timeout=2.0)[0]).ok:
        if time.monotonic() > deadline:
            raise TryError(f"the lab's {service.name} does not answer after {BACK_WAIT:g} s: {result.detail}")
        time.sleep(0.2)
    print(f"try: the lab's {service.name} is back on port {ports.port(plan, service.port_key)}: {result.detail}")


def try_program(service, plan: dict, program: Path, args: list[str]) -> int:
    check_program(program)
    port = ports.port(plan, service.port_key)
    path = override(service, program, port, args)
    compose("up", "--detach", "--no-deps", "--force-recreate", service.container, override=path)
    try:
        wait_listening(service, port)
    except TryError as exc:
        print(f"try: {exc}", file=sys.stderr)
        put_back(service, plan)
        return 2
    print(f"try: {program.name} runs in place of the lab's {service.name} on port {port}; grading it")
    passed = grade(service, plan, program)
    sys.stdout.write(limits_note(compose("ps", "-q", service.container).stdout.strip()))
    print(f"try: the lab index shows it (http://127.0.0.1:{plan.get('LAB_PORT')}/); `./run try {service.name} --stop`")
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./run try",
        description="Run your own server in place of the lab's, on its port and with its limits; "
        "the lab index shows it and its grade. Your program is run as `python3 PROGRAM PORT ARGS...`.",
    )
    parser.add_argument("service", help=f"one of {', '.join(TRYABLE)}")
    parser.add_argument("program", nargs="?", help="your server, a Python file")
    parser.add_argument("--stop", action="store_true", help="put the lab's server back")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="more arguments for your program, after the port")
    args = parser.parse_args(argv)
    plan = ports.load()
    STATE.mkdir(parents=True, exist_ok=True)
    try:
        service = service_of(args.service)
        if args.stop or (args.program is None and args.args == ["--stop"]):  # REMAINDER takes a late --stop
            put_back(service, plan)
            return 0
        if args.program is None:
            parser.error("give your program (a .py file), or --stop")
        return try_program(service, plan, Path(args.program), args.args)
    except TryError as exc:
        print(f"try: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"try: {' '.join(exc.cmd)} failed:\n{exc.stderr.strip()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
