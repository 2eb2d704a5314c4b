"""The front servers' sites, byte for byte, every way they are rendered: by scripts/render_conf.py as the image
builds run it (each front's nginx-site.env with stack.env; the CGI echo's Apache site with its --set values), as
stacklab_swarm runs it (dynamic_upstream=true), and with the variables the Ansible roles give a VM without and
with TLS (role defaults; the acme role's TLS settings and port 80 site). The expected files are in golden/: a
change of a template that should not change what a server gets must leave them alone.

After a change that is meant to change a site, write the files again and review their diff:
    STACKLAB_WRITE_GOLDEN=1 uv run pytest tests/unit/lab/test_front_golden.py
"""

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from tests.unit.harness import render_template

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
RENDER = [sys.executable, str(ROOT / "scripts" / "render_conf.py")]
FRONTS = ["wsgi", "flask", "django", "lab"]
PLAN = {"wsgi": "8084", "flask": "5000", "django": "8000", "lab": "8090", "cgi": "8083"}  # stack.env, as strings
TLS_DOMAIN = "lab.example.org"
VM = {  # each role's defaults for its site template (ansible/roles/<name>/defaults/main.yml)
    "wsgi": {"wsgi_port": PLAN["wsgi"], "wsgi_upstream": "unix:/run/stacklab-wsgi.sock",
             "wsgi_access_log": ""},
    "flask": {"flask_port": PLAN["flask"], "flask_upstream": "unix:/run/stacklab-flask.sock",
              "flask_static_root": "/srv/stacklab/current/venvs/flask/lib/python3.13/site-packages/stacklab_flask"
                                   "/static"},
    "django": {"django_port": PLAN["django"], "django_upstream": "unix:/run/stacklab-django.sock",
               "django_static_root": "/srv/stacklab/current/static/django"},
    "lab": {"lab_port": PLAN["lab"], "lab_upstream": "unix:/run/stacklab-lab.sock"},
}  # fmt: skip
CGI_VM = {"cgi_port": PLAN["cgi"], "cgi_bin_dir": "/usr/lib/cgi-bin", "cgi_document_root": "/var/www/stacklab-cgi",
          "cgi_log_dir": "/var/log/apache2", "cgi_access_log": "||/usr/bin/setpriv --reuid=nobody --regid=nogroup"
          " --clear-groups --inh-caps=-all /usr/bin/systemd-cat --identifier=apache2",
          "cgi_diagnostic_allow": "", "lab_port": PLAN["lab"],
          "cgi_lab_url": f"http://{TLS_DOMAIN}:{PLAN['lab']}/"}  # fmt: skip
ACME = {"ansible_managed": "Ansible managed", "acme_cert_name": "stacklab", "acme_domain": TLS_DOMAIN,
        "acme_cgi_upstream": f"127.0.0.1:{PLAN['cgi']}", "acme_webroot": "/var/lib/stacklab-acme",
        "acme_names": [f"{name}.{TLS_DOMAIN}" for name in ("cgi", "django", "flask", "lab", "wsgi")]}  # fmt: skip


def render_conf(template: Path, *options: str) -> str:
    """scripts/render_conf.py's output with stack.env alone (no port of this shell's environment)."""
    env = {key: value for key, value in os.environ.items() if not key.endswith("_PORT")}
    argv = [*RENDER, str(template), "-", "--env-file", str(ROOT / "stack.env"), *options]
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout


def site(name: str) -> Path:
    return ROOT / "services" / name / "conf" / "nginx-site.conf.j2"


def renders() -> dict:
    """Golden file name -> a function giving the text rendered now, for every render of every front."""
    result = {}
    for name in FRONTS:
        compose = ["--vars", str(ROOT / "services" / name / "conf" / "nginx-site.env")]
        result[f"{name}.compose.conf"] = partial(render_conf, site(name), *compose)
        result[f"{name}.swarm.conf"] = partial(render_conf, site(name), *compose, "--set", "dynamic_upstream=true")
        result[f"{name}.vm.conf"] = partial(render_template, site(name), **VM[name], **{f"{name}_tls_name": ""})
        tls = {f"{name}_tls_name": f"{name}.{TLS_DOMAIN}"}
        result[f"{name}.vm-tls.conf"] = partial(render_template, site(name), **VM[name], **tls)
    apache = ROOT / "services" / "cgi" / "conf" / "apache-site.conf.j2"
    cgi_image = ["--set", "cgi_document_root=/var/www/html", "--set", "cgi_bin_dir=/usr/lib/cgi-bin"]
    result["cgi.compose.conf"] = partial(render_conf, apache, *cgi_image)
    result["cgi.vm.conf"] = partial(render_template, apache, **CGI_VM)
    acme = ROOT / "ansible" / "roles" / "acme" / "templates"
    result["acme-tls.conf"] = partial(render_template, acme / "stacklab-tls.conf.j2", **ACME)
    result["acme-site.conf"] = partial(render_template, acme / "acme-site.conf.j2", **ACME, acme_redirect=False)
    result["acme-site-redirect.conf"] = partial(render_template, acme / "acme-site.conf.j2", **ACME, acme_redirect=True)
    return result


RENDERS = renders()


@pytest.mark.parametrize("golden", RENDERS)
def test_render_is_byte_for_byte_the_golden_file(golden):
    text = RENDERS[golden]()
    if os.environ.get("STACKLAB_WRITE_GOLDEN") == "1":
        (GOLDEN / golden).write_text(text)
    assert text == (GOLDEN / golden).read_text()


def test_every_golden_file_is_rendered():
    assert sorted(path.name for path in GOLDEN.iterdir()) == sorted(RENDERS)
