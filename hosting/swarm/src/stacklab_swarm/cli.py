"""The tasks `./run swarm` runs: config, up, status, logs, wait, down, teardown, push (the package's docstring)."""

import argparse
import subprocess
import sys
import time

import stacklab_swarm
from stacklab_swarm import logs
from stacklab_swarm.common import REGISTRY, ROOT, STACK, docker, log
from stacklab_swarm.engine import ensure_swarm, services, status, swarm_state, wait
from stacklab_swarm.stack_file import stack_file, write_stack_file


def up() -> None:
    start = time.monotonic()
    ensure_swarm()
    file = write_stack_file()
    log(f"deploying stack {STACK} from {file.relative_to(ROOT)}")
    auth = ["--with-registry-auth"] if REGISTRY else []  # the nodes pull with the manager's login
    deploy = ["stack", "deploy", "--prune", "--resolve-image", "never", *auth]  # no --detach: CLI 20.10 lacks it
    docker(*deploy, "--compose-file", str(file), STACK, capture=False)
    wait()
    status()
    log(f"every service healthy in {time.monotonic() - start:.0f} s")


def push() -> None:
    """Every image the stack runs, tagged and pushed under STACKLAB_REGISTRY."""
    if not REGISTRY:
        sys.exit("swarm: set STACKLAB_REGISTRY=host:port (docs/swarm.md, several nodes)")
    for image in sorted({service["image"] for service in stack_file()["services"].values()}):
        docker("tag", image.removeprefix(f"{REGISTRY}/"), image)
        docker("push", "--quiet", image, capture=False)


def down(volumes: bool) -> None:
    if swarm_state() == "active" and services():
        docker("stack", "rm", STACK, capture=False)
    # stack rm returns before the containers are gone; volumes and the network are freed only then.
    for _ in range(60):
        if not docker("ps", "--all", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}"):
            break
        time.sleep(1)
    if volumes:
        names = docker("volume", "ls", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}").split()
        if names:
            docker("volume", "rm", *names)
            log(f"removed volumes {' '.join(names)}")


def teardown() -> None:
    """The engine as before `up`: no stack, no swarm. Leaving breaks name resolution in running compose containers
    on Docker 20.10 until dockerd restarts, so dockerd restarts too (scripts/docker-engine --restart)."""
    down(volumes=True)
    if swarm_state() == "active":
        log("leaving the swarm and restarting dockerd (Docker 20.10 loses container DNS on leave)")
        docker("swarm", "leave", "--force")
        subprocess.run([str(ROOT / "scripts" / "docker-engine"), "--restart"], check=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["logs"]:  # its own arguments (stacklab_swarm.logs)
        try:
            return logs.run(argv[1:], STACK)
        except ValueError as exc:
            sys.exit(f"swarm: {exc}")
    parser = argparse.ArgumentParser(
        prog="stacklab-swarm",
        description=stacklab_swarm.__doc__.splitlines()[0],
        epilog="also: logs [SERVICE...] [-f] [--since WHEN] [-n N] [-t] (stacklab_swarm.logs)",
    )
    parser.add_argument("task", choices=("config", "up", "status", "wait", "down", "teardown", "push"))
    parser.add_argument("--volumes", action="store_true", help="down: remove the stack's named volumes too")
    args = parser.parse_args(argv)
    if args.task == "config":
        print(write_stack_file().read_text(), end="")
    elif args.task == "up":
        up()
    elif args.task == "status":
        status()
    elif args.task == "wait":
        wait()
    elif args.task == "down":
        down(args.volumes)
    elif args.task == "push":
        push()
    else:
        teardown()
    return 0
