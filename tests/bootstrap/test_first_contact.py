"""First contact on a stock machine: a fresh debian:trixie-slim container with nothing but python3 (PEP 668, no pip,
no venv module) runs the project's one bootstrap (scripts/lib/bootstrap.sh), gets the uv that uv.lock pins without
touching the system Python, and installs every locked dependency with it. Containers cannot reach PyPI here, so the
container is handed the wheelhouse (scripts/wheelhouse: the locked wheels and uv's) as a local folder."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / "build" / "wheelhouse"
IMAGE = "debian:trixie-slim"

# Runs inside the container as root, as a first-time user on a fresh server would.
SCRIPT = r"""
set -o errexit -o nounset -o pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null
echo "pep668: $(ls /usr/lib/python3*/EXTERNALLY-MANAGED)"
if python3 -m pip --version >/dev/null 2>&1; then echo "unexpected: the stock python3 has pip"; exit 1; fi

. /src/scripts/lib/bootstrap.sh
ensure_uv
echo "uv: $(command -v uv) $(uv --version)"

cd /src
uv export --frozen --all-packages --no-dev --no-emit-workspace --no-header --format requirements-txt \
  --output-file /tmp/requirements.txt --quiet
uv venv --quiet /tmp/app
uv pip install --quiet --python /tmp/app/bin/python --no-index --find-links /wheelhouse -r /tmp/requirements.txt
echo "installed: $(uv pip list --python /tmp/app/bin/python --format freeze | wc -l) packages"
/tmp/app/bin/python -c 'import django, flask, gunicorn; print("imports: ok")'
if /usr/bin/python3 -c "import uv" 2>/dev/null; then echo "unexpected: uv in the system Python"; exit 1; fi
if [ "$(command -v python3)" != /usr/bin/python3 ]; then echo "unexpected: python3 shadowed"; exit 1; fi
echo "system python untouched"
"""


@pytest.fixture(scope="module")
def docker() -> str:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        pytest.fail(f"needs a Docker engine with the {IMAGE} image (scripts/docker-engine, scripts/base-image)")
    if not (WHEELHOUSE / "tools").is_dir():
        pytest.fail(f"no wheelhouse with uv at {WHEELHOUSE}: run scripts/wheelhouse")
    return docker


def test_bootstrap_on_stock_debian_installs_locked_uv_in_a_private_venv(docker):
    run = subprocess.run(
        [
            docker, "run", "--rm",
            "-v", f"{ROOT}:/src:ro",
            "-v", f"{WHEELHOUSE}:/wheelhouse:ro",
            # pip inside the bootstrap's venv finds uv's wheel here, as an air-gapped user's would
            "-e", "PIP_NO_INDEX=1", "-e", "PIP_FIND_LINKS=/wheelhouse/tools",
            IMAGE, "bash", "-c", SCRIPT,
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    locked = subprocess.run(
        ["bash", "-c", f". {ROOT}/scripts/lib/bootstrap.sh; locked_uv_version"], capture_output=True, text=True
    ).stdout.strip()
    assert "pep668: /usr/lib/python3" in out
    assert f"bootstrap: installing uv {locked} into /root/.local/share/stacklab/tools" in out
    assert f"uv: /root/.local/share/stacklab/tools/bin/uv uv {locked}" in out
    assert "imports: ok" in out
    assert "system python untouched" in out
