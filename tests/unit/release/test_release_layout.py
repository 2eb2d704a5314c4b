"""stacklab_core.layout, the one spelling of the server paths: what its command line prints for Ansible, and the
tools and fab reading the same values."""

import json
import subprocess
import sys
from pathlib import Path

from stacklab_core import layout
from stacklab_release.site import Site

REPO = Path(__file__).resolve().parents[3]
LAYOUT = REPO / "core" / "src" / "stacklab_core" / "layout.py"


def test_the_command_line_prints_every_value_as_json_on_a_bare_python():
    # As Ansible's pipe lookup runs it: the file by its path, no package installed (-I: not the venv's).
    bare = getattr(sys, "_base_executable", sys.executable)
    out = subprocess.run([bare, "-I", str(LAYOUT)], capture_output=True, text=True, check=True).stdout
    values = json.loads(out)
    assert values == layout.values()
    assert values["release_tool"] == "/usr/local/sbin/stacklab-release" and values["root"] == "/srv/stacklab"
    assert values["pre_deploy_dir"] == f"{values['backup_dir']}/pre-deploy"
    assert values["current_link"] == "/srv/stacklab/current" and values["served_file"] == "/srv/stacklab/.served"


def test_ansible_reads_this_file():
    group_vars = (REPO / "ansible" / "group_vars" / "all" / "layout.yml").read_text()
    assert "stacklab_layout:" in group_vars and str(LAYOUT.relative_to(REPO)) in group_vars


def test_the_release_tool_lays_out_its_root_by_it(tmp_path):
    default = Site.from_env({})
    assert str(default.root) == layout.ROOT and str(default.current) == layout.CURRENT_LINK
    site = Site(root=tmp_path)
    assert (site.releases, site.current, site.previous) == (
        tmp_path / layout.RELEASES, tmp_path / layout.CURRENT, tmp_path / layout.PREVIOUS,
    )  # fmt: skip
