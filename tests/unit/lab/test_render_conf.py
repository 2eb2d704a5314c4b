"""scripts/render_conf.py, which renders the front servers' site templates for the images (and the swarm stack):
each nginx front's own values file (services/<name>/conf/nginx-site.env) with the port plan renders its template,
with the macros the fronts share."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RENDER = [sys.executable, str(ROOT / "scripts" / "render_conf.py")]


@pytest.mark.parametrize("name", ["flask", "django", "wsgi", "lab"])
def test_a_fronts_values_file_renders_its_site(name):
    conf = ROOT / "services" / name / "conf"
    out = subprocess.run(
        [*RENDER, str(conf / "nginx-site.conf.j2"), "-", "--vars", str(conf / "nginx-site.env")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{name}:8000;" in out  # the compose upstream (an upstream block or proxy_pass), from the values file
    assert "{{" not in out and "{%" not in out


def test_set_beats_the_values_file_and_a_bad_line_is_named(tmp_path):
    conf = ROOT / "services" / "lab" / "conf"
    values = tmp_path / "site.env"
    values.write_text("lab_upstream=lab:8000\n")
    argv = [*RENDER, str(conf / "nginx-site.conf.j2"), "-", "--vars", str(values), "--set", "lab_upstream=other:9"]
    assert "http://other:9;" in subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    values.write_text("lab_upstream lab:8000\n")
    bad = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and f"{values}:1: expected KEY=VALUE" in bad.stderr, bad.stderr


def test_the_shared_macros_come_from_the_templates_folder(tmp_path):
    """The sites import nginx-front.j2 from --templates (default: the nginx role's templates/, as Ansible finds it)."""
    conf = ROOT / "services" / "lab" / "conf"
    argv = [*RENDER, str(conf / "nginx-site.conf.j2"), "-", "--vars", str(conf / "nginx-site.env")]
    missing = subprocess.run([*argv, "--templates", str(tmp_path)], capture_output=True, text=True, check=False)
    assert missing.returncode == 1 and "'nginx-front.j2' not found" in missing.stderr, missing.stderr
    macros = (ROOT / "ansible" / "roles" / "nginx" / "templates" / "nginx-front.j2").read_text()
    (tmp_path / "nginx-front.j2").write_text(macros.replace("resolver_timeout 2s;", "resolver_timeout 3s;"))
    swarm = ["--set", "dynamic_upstream=true", "--templates", str(tmp_path)]
    assert "resolver_timeout 3s;" in subprocess.run([*argv, *swarm], capture_output=True, text=True, check=True).stdout
