"""Every nginx front's template rendered for swarm (dynamic_upstream=true, as stacklab_swarm renders it): the
resolver and a variable proxy_pass instead of addresses fixed at start, accepted by a real nginx; and the default
render (compose, VMs) without them."""

import subprocess
from pathlib import Path

import pytest
from stacklab_core.catalog import SERVICES

from tests.unit.harness import needs_nginx, nginx_argv, render_template, write_nginx_conf

ROOT = Path(__file__).parents[3]
FRONTED = [s for s in SERVICES.values() if s.app]


def render(service, **extra) -> str:
    name = service.stack
    variables = {f"{name}_port": 8080, f"{name}_upstream": f"{name}:8000", f"{name}_static_root": "", **extra}
    return render_template(ROOT / "services" / name / "conf" / "nginx-site.conf.j2", **variables)


@pytest.mark.parametrize("service", FRONTED, ids=lambda s: s.stack)
def test_swarm_site_resolves_the_replicas_at_request_time(service):
    site = render(service, dynamic_upstream=True)
    assert "resolver 127.0.0.11 valid=10s ipv6=off;" in site
    assert f"set ${service.stack}_upstream {service.stack}:8000;" in site
    assert "upstream stacklab_" not in site
    proxied = [line.strip() for line in site.splitlines() if line.strip().startswith("proxy_pass")]
    assert proxied and set(proxied) == {f"proxy_pass http://${service.stack}_upstream;"}


@pytest.mark.parametrize("service", FRONTED, ids=lambda s: s.stack)
def test_default_site_has_no_resolver(service):
    site = render(service)
    assert "resolver" not in site and f"${service.stack}_upstream" not in site


@needs_nginx
@pytest.mark.parametrize("service", FRONTED, ids=lambda s: s.stack)
def test_nginx_accepts_the_swarm_site(service, tmp_path):
    conf = write_nginx_conf(tmp_path, render(service, dynamic_upstream=True), None)
    check = subprocess.run(nginx_argv(tmp_path, conf, "-t"), capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
