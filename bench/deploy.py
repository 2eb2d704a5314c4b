#!/usr/bin/env python3
"""Figures of `fab deploy` on a provisioned stand-in, next to the targets (docs/deploy.md): a deploy that changes
nothing, a deploy of an application-code change (one line in the Flask app), and a rollback of that change, each
under steady load (the Flask and Django bookshops through nginx, and every course socket server: see
stacklab_testing.load in tests/lib), with the requests that failed and the connections refused during each.
Targets: deploy of a code change <= 10 s, rollback <= 3 s, 0 failed, 0 refused (on a quiet machine).

    scripts/test-deploy --bench [RUNS]      prepares the stand-in as for the tests, then runs this
    bench/deploy.py [RUNS]                  with STACKLAB_DEPLOY_HOST, STACKLAB_SSH_CONFIG, STACKLAB_TARGET set

Each run deploys a clone of this checkout's HEAD (so a work tree with uncommitted changes still measures HEAD) as it
is, then with the code change committed, then rolls back and drops that commit. The first deploy of the first run
carries whatever differs from the release the host had, so run 2 and later show the steady figures.
"""

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stacklab_core import ports
from stacklab_testing.deploy import share_build
from stacklab_testing.load import Load, http_probe, tcp_probes

REPO = Path(__file__).resolve().parents[1]

HOST = os.environ.get("STACKLAB_DEPLOY_HOST", "")
SSH_CONFIG = os.environ.get("STACKLAB_SSH_CONFIG", str(REPO / "hosting" / "cache" / "ssh" / "config"))
TARGET = os.environ.get("STACKLAB_TARGET", "127.0.0.2")
FAB = str(Path(sys.executable).parent / "fab")


def fab(source: Path, *args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    clock = time.strftime("%H:%M:%S")  # fab stamps its lines with the wall clock: the first step starts here
    proc = subprocess.run(
        [FAB, "-r", str(source), "-S", SSH_CONFIG, "-H", HOST, *args],
        capture_output=True, text=True, check=False, env={**os.environ, "STACKLAB_TARGET": TARGET},
    )  # fmt: skip
    return proc.returncode, f"[{clock}] start\n" + proc.stdout + proc.stderr, time.monotonic() - started


def steps(output: str) -> str:
    """Seconds up to each of fab's time-stamped lines (1 s resolution): where a deploy spends its time."""
    stamps = [(int(h) * 3600 + int(m) * 60 + int(s), text) for h, m, s, text in re.findall(
        r"^\[(\d\d):(\d\d):(\d\d)\] (.{0,40})", output, flags=re.M)]  # fmt: skip
    return ", ".join(f"{b[1].split(' ')[0]} {b[0] - a[0]}s" for a, b in itertools.pairwise(stamps))


def under_load(plan, action) -> tuple[int, str, float, Load]:
    probes = [
        http_probe("flask", TARGET, int(plan["FLASK_PORT"]), "/"),
        http_probe("django", TARGET, int(plan["DJANGO_PORT"]), "/accounts/login/"),
        *tcp_probes(TARGET, plan),
    ]
    with Load(probes) as load:
        code, output, seconds = action()
    return code, output, seconds, load


def report(what: str, target: float | None, code: int, output: str, seconds: float, load: Load) -> bool:
    limit = f"(target <= {target:g} s)" if target else "(no target)"
    print(f"{what:<22} {seconds:5.1f} s {limit:<17} exit {code}  requests {load.total('ok') + load.total('failed'):5d}"
          f"  failed {load.total('failed'):3d}  refused {load.total('refused'):3d}", flush=True)  # fmt: skip
    if output and code == 0:
        print(f"{'':<22} steps: {steps(output)}")
    for failure in load.failures[:5]:
        print(f"{'':<22} failed at {failure[0]} s: {failure[1]}: {failure[2]}")
    if code != 0:
        print(output[-2000:])
    return code == 0 and not load.failures


def clone(tmp: Path) -> Path:
    """A clone of HEAD that builds into this checkout's build/ (stacklab_testing.deploy.share_build)."""
    source = tmp / "stacklab"
    subprocess.run(["git", "clone", "--quiet", "--local", str(REPO), str(source)], check=True)
    share_build(source)
    return source


def commit_change(source: Path, line: str) -> None:
    """An application-code change: one line appended to the Flask app's WSGI module, committed."""
    with open(source / "services/flask/src/stacklab_flask/wsgi.py", "a") as f:
        f.write(line)
    git = ["git", "-C", str(source), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "commit", "--quiet", "--all", "-m", "bench/deploy.py: a code change"], check=True)


def main() -> int:
    if not HOST:
        sys.exit("bench/deploy.py: set STACKLAB_DEPLOY_HOST (or run scripts/test-deploy --bench)")
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    plan = ports.load(REPO / "stack.env")
    good = True
    with tempfile.TemporaryDirectory(prefix="stacklab-bench-") as tmp:
        source = clone(Path(tmp))
        print(f"fab deploy to {HOST} (lab on {TARGET}), {runs} run(s), under load:")
        for run in range(1, runs + 1):
            good &= report(f"#{run} deploy, no change", None, *under_load(plan, lambda: fab(source, "deploy")))
            commit_change(source, f"\n# bench/deploy.py, run {run}\n")
            good &= report(f"#{run} deploy, code", 10, *under_load(plan, lambda: fab(source, "deploy")))
            good &= report(f"#{run} rollback", 3, *under_load(plan, lambda: fab(source, "rollback")))
            subprocess.run(["git", "-C", str(source), "reset", "--quiet", "--hard", "HEAD~1"], check=True)  # as served
    print("zero failed requests and refused connections: " + ("yes" if good else "NO"))
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
