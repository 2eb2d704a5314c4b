"""The front servers' site templates with TLS on (a VM with stacklab_domain, docs/https.md) and off (compose): the
TLS parts appear only with a name, and every site with them, beside the acme role's TLS settings, is a
configuration real nginx accepts. The live proof against an ACME CA is tests/health/test_tls.py."""

import http.client
import subprocess
from pathlib import Path

import pytest
from stacklab_core import catalog

from tests.unit.harness import NGINX, TEST_USER, needs_nginx, nginx_argv, render_template, write_nginx_conf
from tests.unit.servers import free_port

ROOT = Path(__file__).parents[3]
TLS_SETTINGS = ROOT / "ansible/roles/acme/templates/stacklab-tls.conf.j2"
PORT_80_SITE = ROOT / "ansible/roles/acme/templates/acme-site.conf.j2"
ACME_NAMES = ["django.lab.example.org", "lab.example.org"]
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


@pytest.fixture
def port_80(start_server, tmp_path):
    """The acme role's port 80 site, redirecting (a certificate exists), in real nginx on a free port."""
    port = free_port()
    (tmp_path / "webroot/.well-known/acme-challenge").mkdir(parents=True)
    (tmp_path / "webroot/.well-known/acme-challenge/token").write_text("token.thumbprint")
    text = render_template(
        PORT_80_SITE, ansible_managed="test", acme_redirect=True, acme_names=ACME_NAMES,
        acme_webroot=str(tmp_path / "webroot"),
    ).replace("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")  # fmt: skip
    start_server(nginx_argv(tmp_path, write_nginx_conf(tmp_path, text, TEST_USER)), port)
    return port


def ask(port: int, path: str, host: str) -> tuple[int, str | None, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        conn.close()


@needs_nginx
@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "lab.example.org.evil.example", "x@evil"])
def test_port_80_never_redirects_to_a_forged_host(port_80, host):
    """An open redirect: a link to http://<this server> with a forged Host must not send a browser elsewhere."""
    status, location, _ = ask(port_80, "/accounts/login/", host)
    assert location is None, f"Host {host} redirected to {location}"
    assert status == 404


@needs_nginx
@pytest.mark.parametrize("name", ACME_NAMES)
def test_port_80_redirects_each_certificate_name_to_itself(port_80, name):
    status, location, _ = ask(port_80, "/accounts/login/?next=/", name.upper())
    assert (status, location) == (301, f"https://{name}/accounts/login/?next=/")


@needs_nginx
def test_port_80_serves_the_challenges_for_any_host(port_80):
    """The CA asks with each name; a challenge answers whatever the Host (certbot's webroot is per server)."""
    for host in ("lab.example.org", "unknown.example"):
        assert ask(port_80, "/.well-known/acme-challenge/token", host)[::2] == (200, "token.thumbprint")
