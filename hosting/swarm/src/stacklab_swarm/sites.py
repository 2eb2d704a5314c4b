"""The nginx fronts' sites as swarm configs: each front's own template rendered with dynamic_upstream=true, so
that nginx re-resolves its app's replicas."""

import os
import re
import subprocess
import sys
from pathlib import Path

from stacklab_core.catalog import SERVICES as CATALOG

from stacklab_swarm.common import BUILD, ROOT

# compose service of an nginx front -> its catalog entry
FRONTS = {s.container: s for s in CATALOG.values() if s.front == "nginx"}


def site(front: str, inside: dict[str, str]) -> tuple[Path, str]:
    """The front's nginx site with dynamic_upstream=true, rendered from its template with the values its image
    uses (services/<name>/conf/nginx-site.env) and to the path its Dockerfile copies it to: (file on the host,
    path in the container)."""
    conf = ROOT / "services" / FRONTS[front].stack / "conf"
    dockerfile = conf.parent / "Dockerfile"
    dest = re.search(r"^COPY --from=site /site\.conf (\S+)$", dockerfile.read_text(), re.M)
    if not dest:
        sys.exit(f"swarm: {dockerfile.relative_to(ROOT)}: no `COPY --from=site /site.conf` to replace")
    output = BUILD / f"{front}.conf"
    env = {k: v for k, v in os.environ.items() if k not in inside}  # the port nginx listens on is the container's
    render = [sys.executable, str(ROOT / "scripts" / "render_conf.py"), str(conf / "nginx-site.conf.j2"), str(output)]
    subprocess.run(
        [*render, "--vars", str(conf / "nginx-site.env"), "--set", "dynamic_upstream=true"], env=env, check=True
    )
    return output, dest.group(1)
