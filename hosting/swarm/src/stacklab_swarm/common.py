"""What every part of the swarm tasks shares: the checkout's paths, the stack's name and registry, the docker CLI."""

import os
import subprocess
import sys
from pathlib import Path

# The checkout: hosting/swarm/src/stacklab_swarm/common.py (the workspace installs this package editable).
ROOT = Path(__file__).resolve().parents[4]

BUILD = ROOT / "build" / "swarm"
STACK_FILE = BUILD / "docker-stack.yml"
STACK = os.environ.get("STACKLAB_STACK", "stacklab")
REGISTRY = os.environ.get("STACKLAB_REGISTRY", "").rstrip("/")
DB_LABEL = "stacklab.db"


def log(message: str) -> None:
    print(f"swarm: {message}", flush=True)


def docker(*args: str, check: bool = True, capture: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=capture, text=True, check=False)
    if check and done.returncode != 0:
        sys.exit(f"swarm: docker {' '.join(args)} failed: {(done.stderr or '').strip()}")
    return (done.stdout or "").strip()
