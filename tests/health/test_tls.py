"""VM with TLS on only (docs/https.md): every HTTPS address of the lab, checked from this machine as a browser would.

The certificate chains to the test CA's root and names the service; TLS 1.0 and 1.1 are refused, 1.2 and 1.3
served; HSTS; port 80 and the Django and Flask plain ports redirect to https (the ACME challenge path and /healthz
excepted); a Django login over https sets secure cookies; Django's `check --deploy` is clean; a forced renewal is
served without a failed request.

Environment (scripts/test-vm's tls_proof sets it): STACKLAB_TLS_DOMAIN (the host's stacklab_domain; unset: the
module is skipped), STACKLAB_TLS_CA (the CA root the chain must verify against: pebble's /roots/0),
STACKLAB_VM_ADDRESS (where the names resolve: the stand-in's published address), STACKLAB_VM_HOST (inside, for
`check --deploy` and the renewal). /metrics is refused on every HTTPS name as on the plain ports, and the renewal
leaves its time where the node exporter serves it (certbot's deploy hook, stacklab_core.textfile).
"""

import http.client
import os
import re
import socket
import ssl
import threading
import time
import warnings

import pytest
import requests
from requests.adapters import HTTPAdapter
from stacklab_core import catalog
from stacklab_testing.web import TIMEOUT, django_login, get_inside

DOMAIN = os.environ.get("STACKLAB_TLS_DOMAIN", "")
CA = os.environ.get("STACKLAB_TLS_CA", "")
pytestmark = pytest.mark.skipif(not DOMAIN, reason="TLS is off (STACKLAB_TLS_DOMAIN unset)")

HTTPS = [s for s in catalog.SERVICES.values() if s.https]
HTTPS_ONLY = [s for s in HTTPS if s.https == "only"]
HSTS = "max-age=63072000"


def context(minimum_version=None, maximum_version=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=CA)
    with warnings.catch_warnings():  # TLS 1.0 and 1.1 are deprecated: offering them is the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum_version:
            ctx.minimum_version = minimum_version
        if maximum_version:
            ctx.maximum_version = maximum_version
    return ctx


def handshake(address: str, name: str, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection((address, 443), timeout=TIMEOUT)
    try:
        return ctx.wrap_socket(raw, server_hostname=name)
    except BaseException:
        raw.close()
        raise


def https_get(address: str, name: str, path: str = "/") -> http.client.HTTPResponse:
    """GET https://NAME/PATH from ADDRESS, the chain and the name verified; the response is read."""
    connection = http.client.HTTPSConnection(name, 443, timeout=TIMEOUT)
    connection.sock = handshake(address, name, context())
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


class ResolveTo(HTTPAdapter):
    """requests to https://ADDRESS/ speaking TLS as NAME (SNI and certificate check), as if DNS gave ADDRESS."""

    def __init__(self, name: str):
        self.name = name
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs.update(server_hostname=self.name, assert_hostname=self.name)
        super().init_poolmanager(*args, **kwargs)


def session_for(target, name: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.mount(f"https://{target.address}", ResolveTo(name))
    session.verify = CA
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment replaces the CA above
    session.headers["Host"] = name
    return session, f"https://{target.address}"


@pytest.mark.parametrize("service", HTTPS, ids=lambda s: s.name)
def test_https_chain_name_and_hsts(target, service):
    name = service.https_name(DOMAIN)
    with handshake(target.address, name, context()) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        alt_names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]
    assert name in alt_names
    response = https_get(target.address, name, "/healthz")
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == HSTS
    assert "nginx/" not in (response.getheader("Server") or "")


@pytest.mark.parametrize("service", HTTPS, ids=lambda s: s.name)
def test_app_metrics_are_not_served_over_https(target, service):
    assert https_get(target.address, service.https_name(DOMAIN), "/metrics").status == 404


@pytest.mark.parametrize("service", HTTPS, ids=lambda s: s.name)
def test_https_pages_never_redirect_to_plain_http(target, service):
    response = https_get(target.address, service.https_name(DOMAIN), "/")
    assert not (response.getheader("Location") or "").startswith("http://"), response.getheader("Location")


# The diagnostic reflects the request, so only the machine itself may call it: never through the TLS front, by
# any spelling of its path (nginx matches the normalized path; Apache refuses what the front forwards).
@pytest.mark.parametrize(
    "path", ["/cgi-bin/cgi_test.py", "/cgi-bin/cgi_test.py/x", "//cgi-bin/cgi_test.py", "/%63gi-bin/cgi_test.py"]
)
def test_cgi_diagnostic_is_refused_through_the_front(target, path):
    name = catalog.SERVICES["cgi"].https_name(DOMAIN)
    assert https_get(target.address, name, path).status == 403
    assert https_get(target.address, name, "/cgi-bin/echo_cgi.py?message=tls").status == 200


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1], ids=str)
def test_old_tls_refused(target, version):
    ctx = context(minimum_version=version, maximum_version=version)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # this client offers it; the server must be the one that says no
    with pytest.raises(ssl.SSLError) as refused:
        handshake(target.address, HTTPS[0].https_name(DOMAIN), ctx).close()
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=str)
def test_tls_12_and_13_served(target, version):
    with handshake(
        target.address, HTTPS[0].https_name(DOMAIN), context(minimum_version=version, maximum_version=version)
    ) as tls:
        assert tls.version() == version.name.replace("_", ".")


def test_unknown_name_gets_no_certificate(target):
    ctx = context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with pytest.raises(ssl.SSLError):
        handshake(target.address, f"unknown.{DOMAIN}", ctx).close()


def test_port_80_redirects_to_https_except_the_challenges(target):
    name = HTTPS[0].https_name(DOMAIN)
    moved = requests.get(
        f"http://{target.address}/some/page?x=1", headers={"Host": name}, allow_redirects=False, timeout=TIMEOUT
    )
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"https://{name}/some/page?x=1"
    challenge = requests.get(
        f"http://{target.address}/.well-known/acme-challenge/missing",
        headers={"Host": name},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert challenge.status_code == 404  # served from the webroot, never redirected


@pytest.mark.parametrize("service", HTTPS_ONLY, ids=lambda s: s.name)
def test_login_apps_plain_port_redirects_but_healthz_answers(target, service):
    plain = f"http://{target.address}:{target.port(service.port_key)}"
    moved = requests.get(f"{plain}/books/", allow_redirects=False, timeout=TIMEOUT)
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"https://{service.https_name(DOMAIN)}/books/"
    assert requests.get(f"{plain}/healthz", timeout=TIMEOUT).status_code == 200


def test_django_login_over_https_sets_secure_cookies(target):
    name = catalog.SERVICES["django"].https_name(DOMAIN)
    session, base = session_for(target, name)
    django_login(base, "jon", target.secret("django_demo_password_jon"), session, origin=f"https://{name}")
    cookies = {cookie.name: cookie for cookie in session.cookies}
    assert cookies["sessionid"].secure and cookies["csrftoken"].secure
    assert cookies["sessionid"].has_nonstandard_attr("HttpOnly")
    books = session.get(f"{base}/books/", allow_redirects=False, timeout=TIMEOUT)
    assert books.status_code == 200 and "jon" in books.text


def test_lab_index_links_the_https_addresses(target):
    session, base = session_for(target, catalog.SERVICES["lab"].https_name(DOMAIN))
    rows = {row["name"]: row for row in session.get(f"{base}/status.json", timeout=TIMEOUT).json()["services"]}
    for service in HTTPS:
        assert rows[service.name]["url"] == f"https://{service.https_name(DOMAIN)}/"


def test_django_check_deploy_is_clean(inside):
    host = inside(catalog.SERVICES["django"])
    result = host.run(
        "systemd-run --quiet --wait --pipe --collect --service-type=exec --uid=stacklab-django "
        "--gid=stacklab-django --property=StateDirectory=stacklab-django "
        "--property=EnvironmentFile=/etc/stacklab/django.env "
        "--property=LoadCredential=DJANGO_SECRET_KEY:/etc/stacklab/credentials/django/DJANGO_SECRET_KEY "
        "--property=LoadCredential=DATABASE_PASSWORD:/etc/stacklab/credentials/django/DATABASE_PASSWORD "
        "-- /srv/stacklab/current/venvs/django/bin/python "
        "-m stacklab_django.manage check --deploy --fail-level WARNING"
    )
    assert result.rc == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def serial(address: str, name: str) -> int:
    with handshake(address, name, context()) as tls:
        return int(tls.getpeercert()["serialNumber"], 16)


def renewed_at(server, exporter_port: int) -> float:
    """The renewal time certbot's deploy hook left, as the server's node exporter serves it (0: none)."""
    url = f"http://127.0.0.1:{exporter_port}/metrics"
    served = get_inside(server, url)
    found = re.search(r"^stacklab_certbot_last_success_timestamp_seconds (\S+)$", served, re.MULTILINE)
    return float(found[1]) if found else 0.0


def test_forced_renewal_is_served_without_a_failed_request(target, inside):
    name = catalog.SERVICES["lab"].https_name(DOMAIN)
    before = serial(target.address, name)
    clock = time.time()
    failures, requests_done, stop = [], [0], threading.Event()

    def keep_asking():
        while not stop.is_set():
            try:
                assert https_get(target.address, name, "/healthz").status == 200
                requests_done[0] += 1
            except (OSError, AssertionError, http.client.HTTPException) as exc:
                failures.append(repr(exc))
            time.sleep(0.05)

    client = threading.Thread(target=keep_asking)
    client.start()
    try:
        started = time.monotonic()
        renewal = inside(catalog.SERVICES["lab"]).run(
            "env REQUESTS_CA_BUNDLE=/etc/stacklab/acme-directory-ca.pem certbot renew --force-renewal "
            "--cert-name stacklab --no-random-sleep-on-renew"
        )
        seconds = time.monotonic() - started
        time.sleep(1)  # the deploy hook's reload: old workers finish, new ones take over
    finally:
        stop.set()
        client.join()
    assert renewal.rc == 0, renewal.stdout + renewal.stderr
    assert serial(target.address, name) != before, "the renewed certificate is not the one served"
    assert not failures, failures[:3]
    assert requests_done[0] > 5
    renewed = renewed_at(inside(catalog.SERVICES["lab"]), target.port("NODE_EXPORTER_PORT"))
    assert renewed >= clock - 1, f"the node exporter shows no renewal since {clock:.0f}: {renewed:.0f}"
    print(f"renewal {seconds:.1f} s, {requests_done[0]} requests during it, none failed")
