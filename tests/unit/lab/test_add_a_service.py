"""Adding a service (docs/add-a-service.md): a toy `gopher` in the catalog reaches every list derived from it (the
lab's checks, the catalog's JSON for Ansible, the health suite's ids and containers, the deploy gate's pages, the
swarm stack file), and the drift test names what compose and its Dockerfile still lack, until they have it."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from stacklab_core import catalog
from stacklab_core.catalog import Service

from tests.unit.lab import drift

ROOT = Path(__file__).parents[3]
GOPHER = Service(
    "gopher", "GOPHER_PORT", "healthz", "gopher menus", stack="gopher", container="gopher", unit="stacklab-gopher",
    module="stacklab_gopher.server", uid=10100, page=("/menu/{nonce}", "gopher {nonce}"),
    limits=(("memory_max", "64M"),),
)  # fmt: skip
ENTRY = (
    'Service("gopher", "GOPHER_PORT", "healthz", "gopher menus", stack="gopher", container="gopher", '
    'unit="stacklab-gopher", module="stacklab_gopher.server", uid=10100, page=("/menu/{nonce}", "gopher {nonce}"), '
    'limits=(("memory_max", "64M"),))'
)
COMPOSE = {
    "build": {"context": ".", "dockerfile": "services/gopher/Dockerfile"},
    "image": "stacklab/gopher",
    "ports": ["${PUBLISH_ADDR:-127.0.0.1}:${GOPHER_PORT}:${GOPHER_PORT}"],
    "healthcheck": {"test": ["CMD", "stacklab-probe", "http", "${GOPHER_PORT}", "/healthz"]},
}
DOCKERFILE = """FROM stacklab/python
RUN --mount=type=bind,source=build/wheelhouse,target=/wheelhouse \\
    stacklab-install-service stacklab-gopher 10100 stacklab-core stacklab-gopher
USER 10100:10100
CMD ["python3", "-m", "stacklab_gopher.server"]
"""


@pytest.fixture
def toy(monkeypatch):
    """The catalog with gopher added (in place: every holder of catalog.SERVICES sees it), for this test only."""
    monkeypatch.setitem(catalog.SERVICES, "gopher", GOPHER)
    return GOPHER


def fresh(monkeypatch, name: str, path: Path | None = None):
    """A new copy of module NAME (from PATH, or where it is installed), run now against the patched catalog: its
    lists are derived at import. sys.modules holds the copy until the test ends."""
    spec = importlib.util.spec_from_file_location(name, path) if path else importlib.util.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_the_lab_checks_it(toy, monkeypatch):
    checks = fresh(monkeypatch, "stacklab_core.checks")
    assert list(checks.CHECKS)[-1] == "gopher"


def test_the_json_gives_ansible_its_stack(tmp_path):
    """What the roles read (`python3 catalog.py`, group_vars' stacklab_catalog), from a copy with the entry."""
    source = (ROOT / "core" / "src" / "stacklab_core" / "catalog.py").read_text()
    source = source.replace("\n    )\n}  # fmt: skip", f"\n        {ENTRY},\n    )\n}}  # fmt: skip")
    (tmp_path / "catalog.py").write_text(source)
    out = subprocess.run([sys.executable, "-I", "-S", str(tmp_path / "catalog.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stacks"]["gopher"] == {
        "services": ["gopher"],
        "port_keys": ["GOPHER_PORT"],
        "units": ["stacklab-gopher"],
        "compose_services": ["gopher"],
        "user": "stacklab-gopher",
        "uid": 10100,
        "limits": {"memory_max": "64M"},
        "processes": [{"unit": "stacklab-gopher", "module": "stacklab_gopher.server", "args": []}],
    }


def test_the_health_suite_gets_its_ids_containers_and_page(toy, monkeypatch):
    target = fresh(monkeypatch, "stacklab_testing.target")
    web = fresh(monkeypatch, "stacklab_testing.web")
    assert [s.name for s in target.SERVICES][-1] == "gopher"  # test_services[gopher], test_vm's units and ports
    assert "gopher" in target.CONTAINERS
    assert "gopher" in web.PAGES and "cgi" in web.PAGES


def test_the_deploy_gate_fetches_its_page(toy, monkeypatch):
    gate = fresh(monkeypatch, "stacklab_deploy.gate")
    assert gate.PAGES["gopher-page"] == gate.Page("GOPHER_PORT", "/menu/{nonce}", "gopher {nonce}")


def test_the_swarm_stack_runs_it(toy, monkeypatch):
    fresh(monkeypatch, "stacklab_swarm.sites")
    stack_file = fresh(monkeypatch, "stacklab_swarm.stack_file")
    resolved = {"services": {"gopher": {"image": "stacklab/gopher", "ports": [{"target": 7070, "published": "7070"}]}}}
    stack = stack_file.from_compose(resolved, {"GOPHER_PORT": "7070"}, {"GOPHER_PORT": "17070"})
    gopher = stack["services"]["gopher"]
    assert gopher["ports"] == [{"target": 7070, "published": 17070, "protocol": "tcp", "mode": "host"}]
    assert (gopher["deploy"]["replicas"], gopher["deploy"]["update_config"]["order"]) == (1, "stop-first")


def test_the_drift_names_what_compose_lacks_until_it_has_it(toy, tmp_path):
    spec = drift.compose()
    assert drift.drift(catalog.SERVICES.values(), spec) == [
        "gopher: no compose service 'gopher' in docker/services.yml"
    ]
    spec["gopher"] = COMPOSE
    root = tmp_path / "checkout"
    (root / "services" / "gopher").mkdir(parents=True)
    for folder in (ROOT / "services").iterdir():
        if folder.name != "gopher":
            (root / "services" / folder.name).symlink_to(folder)
    (root / "services" / "gopher" / "Dockerfile").write_text(DOCKERFILE.replace("10100:10100", "10010:10010"))
    assert drift.drift(catalog.SERVICES.values(), spec, root) == [
        "gopher: services/gopher/Dockerfile does not run gopher as stacklab-gopher (10100:10100) as the catalog says"
    ]
    (root / "services" / "gopher" / "Dockerfile").write_text(DOCKERFILE)
    assert drift.drift(catalog.SERVICES.values(), spec, root) == []


def test_the_network_drift_names_its_networks_until_compose_has_them(toy):
    spec, declared = {**drift.compose(), "gopher": COMPOSE}, drift.compose(key="networks")
    assert drift.network_drift(spec, declared) == [
        "network gopher: the catalog's, not declared in docker/services.yml",
        "gopher: on networks ['default'], the catalog says ['gopher', 'monitor']",
    ]
    spec["gopher"] = {**COMPOSE, "networks": ["gopher", "monitor"]}
    assert drift.network_drift(spec, {**declared, "gopher": None}) == []


def test_the_guide_takes_at_most_six_places():
    guide = (ROOT / "docs" / "add-a-service.md").read_text()
    assert re.findall(r"^## (\d+)\. ", guide, re.M) == ["1", "2", "3", "4", "5", "6"]
