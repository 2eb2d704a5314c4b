"""The port plan on both sides of a host-mode port, and the compose file resolved with the containers' side."""

import json
import os
import subprocess
import sys

from stacklab_core import envfile

from stacklab_swarm.common import ROOT


def port_plans() -> tuple[dict[str, str], dict[str, str]]:
    """(inside, published): stack.env with .env (what the containers listen on, as in compose), and the same with
    the environment's values on top (where swarm publishes them)."""
    inside = envfile.read(ROOT / "stack.env")
    if (ROOT / ".env").is_file():
        inside.update({k: v for k, v in envfile.read(ROOT / ".env").items() if k in inside})
    published = {k: os.environ.get(k) or v for k, v in inside.items()}
    return inside, published


def compose_config(inside: dict[str, str]) -> dict:
    """The compose file resolved, with the containers' side of the port plan (the environment's ports removed),
    without its profiles (COMPOSE_PROFILES removed): the monitoring set is compose's alone, not the swarm stack's."""
    env = {k: v for k, v in os.environ.items() if k not in inside and k != "COMPOSE_PROFILES"}
    compose = ["docker", "compose", "--project-directory", str(ROOT), "--file", str(ROOT / "docker-compose.yml")]
    out = subprocess.run([*compose, "config", "--format", "json"], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"swarm: docker compose config failed: {out.stderr.strip()}")
    return json.loads(out.stdout)
