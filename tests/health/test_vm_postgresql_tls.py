"""VM only: PostgreSQL over TLS between hosts (roles/postgresql, docs/security.md "PostgreSQL over TLS").

The database server presents a certificate of its own private CA; an app server on another host must use TLS
(hostssl) and verifies the server against that CA by the address it connects to (sslmode=verify-full). On one host
the app reaches PostgreSQL over loopback and never crosses a network. Same environment as test_vm.py.
"""

import os
import shlex
import urllib.request

import pytest
from stacklab_core import layout
from stacklab_testing.target import skip_unless_vm

CA = "/etc/postgresql/stacklab-ca/ca.crt"  # on the database server (postgresql_tls_ca_dir)
APP_CA = "/etc/stacklab/postgresql-ca.crt"  # on an app server (django_db_ca_cert)
ONE_HOST = "one host: the app reaches PostgreSQL over loopback"


@pytest.fixture(scope="module", autouse=True)
def _vm_only(target):
    skip_unless_vm(target)
    if "django" not in (os.environ.get("STACKLAB_VM_STACKS") or "django").split(","):
        pytest.skip("no Django here")


@pytest.fixture(scope="module")
def app(vm):
    """The app server: the VM."""
    return vm


@pytest.fixture(scope="module")
def db(db_vm):
    """The database server: the VM itself on one host."""
    return db_vm


@pytest.fixture(scope="module")
def db_address(app, db):
    """The address the app server reaches the database server on (the one in Django's DATABASE_URL)."""
    if db is app:
        pytest.skip(ONE_HOST)
    return db.check_output("hostname -I").split()[0]


def app_psql(app, conninfo: str, query: str = "select 1"):
    """psql on the app server as Django's database user, its password read there from the app's credential file
    (never on a command line)."""
    password = f"{layout.CREDENTIALS_DIR}/django/DATABASE_PASSWORD"
    script = (
        f'PGPASSWORD="$(cat {password})" PGCONNECT_TIMEOUT=5 && export PGPASSWORD PGCONNECT_TIMEOUT && '
        f"exec psql -XAtq {shlex.quote(conninfo)} -c {shlex.quote(query)}"
    )
    return app.run(f"sh -c {shlex.quote(script)}")


def test_postgresql_presents_a_certificate_of_its_own_ca(db):
    """TLS 1.3 with a server certificate that the role's CA signed, valid for longer than the renewal margin."""
    handshake = db.run(
        f"openssl s_client -starttls postgres -connect 127.0.0.1:5432 -CAfile {CA} -verify_return_error"
        " -brief </dev/null"
    )
    assert handshake.rc == 0, handshake.stderr
    assert "Verification: OK" in handshake.stderr, handshake.stderr
    assert "Protocol version: TLSv1.3" in handshake.stderr, handshake.stderr
    cert = "/etc/postgresql/17/main/stacklab-server.crt"
    assert db.run(f"openssl x509 -in {cert} -noout -checkend {90 * 86400}").rc == 0, "the certificate ends soon"
    key = db.file("/etc/postgresql/17/main/stacklab-server.key")
    assert (key.user, key.mode) == ("postgres", 0o600)
    ca_key = db.file("/etc/postgresql/stacklab-ca/ca.key")
    assert (ca_key.user, ca_key.mode) == ("root", 0o600)


def test_app_server_without_tls_is_refused(app, db_address):
    """The right user and password over plain TCP from the app server: no pg_hba.conf entry lets it in."""
    result = app_psql(app, f"host={db_address} dbname=stacklab_django user=stacklab_django sslmode=disable")
    assert result.rc != 0, "an unencrypted connection from the app server got in"
    assert "no pg_hba.conf entry" in result.stderr and "no encryption" in result.stderr, result.stderr


def test_app_server_with_verify_full_gets_in_by_the_right_name_only(app, db_address):
    """verify-full with the installed CA works; the same server under a name its certificate lacks is refused, as
    a server in the middle with any other certificate would be."""
    verified = f"dbname=stacklab_django user=stacklab_django sslmode=verify-full sslrootcert={APP_CA}"
    result = app_psql(app, f"host={db_address} {verified}", "select ssl from pg_stat_ssl where pid = pg_backend_pid()")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "t"
    impostor = app_psql(app, f"host=impostor.invalid hostaddr={db_address} {verified}")
    assert impostor.rc != 0
    assert "does not match host name" in impostor.stderr, impostor.stderr


def test_djangos_database_connection_is_encrypted_or_local(target, app, db):
    """After a page that queries the database (/healthz), the app's backends (kept CONN_MAX_AGE) come in over TLS
    from the app server, or over loopback on one host."""
    with urllib.request.urlopen(f"http://{target.address}:{target.port('DJANGO_PORT')}/healthz", timeout=10) as r:
        assert r.status == 200
    query = (
        "select coalesce(host(a.client_addr), 'socket'), s.ssl from pg_stat_activity a join pg_stat_ssl s using (pid)"
        " where a.usename = 'stacklab_django' and a.backend_type = 'client backend'"
    )
    out = db.check_output(f"runuser -u postgres -- psql -XAt -F ' ' -c {shlex.quote(query)}")
    rows = [line.split() for line in out.splitlines()]
    assert rows, "no backend of Django's"
    if db is app:
        assert all(addr in ("127.0.0.1", "::1") for addr, _ in rows), rows
        return
    app_address = app.check_output("hostname -I").split()[0]
    remote = [ssl for addr, ssl in rows if addr == app_address]
    assert remote, f"no backend from the app server {app_address}: {rows}"
    assert set(remote) == {"t"}, rows
