"""The front servers' site templates with TLS on (a VM with stacklab_domain, docs/https.md) and off (compose): the
TLS parts appear only with a name, and every site with them, beside the acme role's TLS settings, is a
configuration real nginx accepts. The live proof against an ACME CA is tests/health/test_tls.py."""

import subprocess
from pathlib import Path

import pytest
from stacklab_core import catalog

from tests.unit.harness import NGINX, needs_nginx, nginx_argv, render_template, write_nginx_conf

ROOT = Path(__file__).parents[3]
TLS_SETTINGS = ROOT / "ansible/roles/acme/templates/stacklab-tls.conf.j2"
SITES = {  # service -> the variables its template needs besides <service>_tls_name
    "django": {"django_port": 8000, "django_upstream": "127.0.0.1:8001", "django_static_root": "/srv/static"},
    "flask": {"flask_port": 5000, "flask_upstream": "127.0.0.1:5001"},
    "wsgi": {"wsgi_port": 8084, "wsgi_upstream": "127.0.0.1:8085"},
    "lab": {"lab_port": 8090, "lab_upstream": "127.0.0.1:8091"},
}


def nginx_version() -> tuple[int, ...]:
    version = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
    return tuple(int(part) for part in version.split("."))


def site(service: str, tls_name: str = "") -> str:
    variables = SITES[service] | ({f"{service}_tls_name": tls_name} if tls_name else {})
    return render_template(ROOT / f"services/{service}/conf/nginx-site.conf.j2", **variables)


def test_every_nginx_fronted_https_service_has_a_site_here():
    fronted = {s.name for s in catalog.SERVICES.values() if s.https and s.front_unit == "nginx"}
    assert fronted == set(SITES)


@pytest.mark.parametrize("service", SITES)
def test_no_tls_without_a_name(service):
    text = site(service)
    assert "443" not in text and "ssl" not in text and "https" not in text


@pytest.mark.parametrize("service", SITES)
def test_tls_part_with_a_name(service):
    text = site(service, f"{service}.lab.example.org")
    assert "listen 443 ssl;" in text
    assert f"server_name {service}.lab.example.org;" in text
    assert "Strict-Transport-Security $stacklab_hsts" in text
    redirects = f"return 301 https://{service}.lab.example.org$request_uri;" in text
    assert redirects == (catalog.SERVICES[service].https == "only")


@needs_nginx
def test_nginx_accepts_every_site_with_tls(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=lab.example.org", "-keyout", tmp_path / "privkey.pem",
         "-out", tmp_path / "fullchain.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    settings = render_template(
        TLS_SETTINGS, ansible_managed="test", acme_cert_name="stacklab", acme_domain="lab.example.org",
        acme_cgi_upstream="127.0.0.1:8083",
    ).replace("/etc/letsencrypt/live/stacklab", str(tmp_path))  # fmt: skip
    sites = "\n".join(site(service, f"{service}.lab.example.org") for service in SITES)
    text = settings + sites
    if nginx_version() < (1, 25, 1):  # the servers run Debian 13's 1.26; `http2 on;` is new in 1.25.1
        text = text.replace("http2 on;", "")
    conf = write_nginx_conf(tmp_path, text, None)
    checked = subprocess.run(nginx_argv(tmp_path, conf, "-t"), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
