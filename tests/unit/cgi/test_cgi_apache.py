"""The CGI echo behind a real Apache 2.4 (mod_cgid) configured by the rendered site template: course section 2
item 8 (F and M) and item 16 (configtest, logs on stdout), through HTTP on 127.0.0.1."""

import os
import re
import shutil
import socket
import subprocess
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from stacklab_core.logs import parse_access

from tests.unit.cgi.helpers import APACHECTL, SYSTEM_PYTHON, needs_apache, render_site

pytestmark = needs_apache


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append(dict(attrs))
        elif tag == "input":
            self.inputs.append(dict(attrs))


def test_form_page_submits_message_to_the_echo(start_apache):
    site = start_apache()
    page = requests.get(site.url("/echo_cgi.html"), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    parser = FormParser()
    parser.feed(page.text)
    assert parser.forms == [{"method": "GET", "action": "cgi-bin/echo_cgi.py"}]
    assert {"type": "text", "id": "message", "name": "message", "size": "40"} in parser.inputs
    # Submit the form as a browser does: the relative action resolved against the page's URL.
    reply = requests.get(urljoin(page.url, parser.forms[0]["action"]), params={"message": "Hello"}, timeout=10)
    assert reply.url == site.url("/cgi-bin/echo_cgi.py?message=Hello")
    assert "Message: Hello" in reply.text


def test_echo_get(start_apache):
    reply = requests.get(start_apache().url("/cgi-bin/echo_cgi.py?message=Hello"), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Echo response</title>" in reply.text
    assert "Message: Hello" in reply.text


def test_echo_without_message_says_none(start_apache):
    site = start_apache()
    for path in ("/cgi-bin/echo_cgi.py", "/cgi-bin/echo_cgi.py?message="):
        reply = requests.get(site.url(path), timeout=10)
        assert (reply.status_code, "Message: None" in reply.text) == (200, True)


def test_echo_post_and_escaping(start_apache):
    site = start_apache()
    reply = requests.post(site.url("/cgi-bin/echo_cgi.py"), data={"message": "<b>x</b> & 'y'"}, timeout=10)
    assert reply.status_code == 200
    assert "Message: &lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;" in reply.text
    chunked = requests.post(
        site.url("/cgi-bin/echo_cgi.py"),
        data=iter([b"message=", b"chunked"]),  # a generator body goes out chunked, without Content-Length
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert "Message: chunked" in chunked.text


def test_large_bodies_are_refused_with_413(start_apache):
    site = start_apache()
    program = requests.post(site.url("/cgi-bin/echo_cgi.py"), data={"message": "x" * 100_000}, timeout=10)
    assert program.status_code == 413  # refused by the program (over 64 KiB)
    assert "larger than 65536 bytes" in program.text
    server = requests.post(site.url("/cgi-bin/echo_cgi.py"), data={"message": "x" * 2_000_000}, timeout=10)
    assert server.status_code == 413  # refused by Apache's LimitRequestBody before the program starts
    assert "Traceback" not in program.text + server.text
    assert requests.get(site.url("/healthz"), timeout=10).status_code == 200


def test_diagnostic_lists_the_form_and_hides_secrets(start_apache):
    reply = requests.get(
        start_apache().url("/cgi-bin/cgi_test.py?message=Hello"),
        headers={"Cookie": "sessionid=hunter2", "Authorization": "Bearer hunter2", "X-Probe": "<i>probe</i>"},
        timeout=10,
    )
    assert reply.status_code == 200
    assert "<tr><th>message</th><td>Hello</td></tr>" in reply.text
    assert "<th>REQUEST_METHOD</th><td>GET</td>" in reply.text
    assert "<th>HTTP_X_PROBE</th><td>&lt;i&gt;probe&lt;/i&gt;</td>" in reply.text
    assert "hunter2" not in reply.text
    assert "from this machine only" in reply.text


def test_diagnostic_is_refused_outside_the_allowed_networks(start_apache):
    site = start_apache(cgi_diagnostic_allow="192.0.2.0/24")  # TEST-NET-1: not where the test connects from
    assert requests.get(site.url("/cgi-bin/cgi_test.py?message=Hello"), timeout=10).status_code == 403
    assert requests.get(site.url("/cgi-bin/echo_cgi.py?message=Hello"), timeout=10).status_code == 200


def test_diagnostic_is_for_loopback_only_by_default():
    """Not the private ranges: behind a proxy or Docker's port forwarding every client comes from one of them."""
    site = render_site(cgi_port=8083, cgi_document_root="/var/www/html", cgi_bin_dir="/usr/lib/cgi-bin")
    assert re.findall(r"Require ip (.*)", site) == ["127.0.0.0/8 ::1"]


def test_slow_clients_are_bounded_by_reqtimeout():
    site = render_site(cgi_port=8083, cgi_document_root="/var/www/html", cgi_bin_dir="/usr/lib/cgi-bin")
    directives = dict(re.findall(r"^ {4}(RequestReadTimeout|KeepAlive|KeepAliveTimeout) (.*)$", site, re.M))
    assert directives == {
        "RequestReadTimeout": "handshake=0 header=10-20,MinRate=500 body=10,MinRate=500",
        "KeepAlive": "On",
        "KeepAliveTimeout": "5",
    }


def test_a_slow_header_client_is_dropped(start_apache):
    """A client that starts a request and stops gets a 408 when mod_reqtimeout's 10 s header deadline passes."""
    site = start_apache()
    with socket.create_connection(("127.0.0.1", site.port), timeout=30) as slow:
        slow.sendall(b"GET /echo_cgi.html HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: headers never end
        started = time.monotonic()
        reply = slow.recv(4096)
        waited = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408"), reply[:100]
    assert 9 <= waited <= 15, waited


def test_healthz_runs_a_cgi_program(start_apache):
    reply = requests.get(start_apache().url("/healthz"), timeout=10)
    assert (reply.status_code, reply.text) == (200, "ok\n")


def test_healthz_fails_when_the_interpreter_cannot_import_the_package(start_apache):
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import stacklab_cgi"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the system python3 can import stacklab_cgi here")
    site = start_apache(python=str(SYSTEM_PYTHON))  # scripts installed for the bare system interpreter
    reply = requests.get(site.url("/healthz"), timeout=10)
    assert reply.status_code == 500
    assert "Traceback" not in reply.text
    site.server.wait_for_log("install with stacklab-cgi-install")  # the reason is in the error log (stderr)


def test_no_directory_listings_and_root_redirects_to_the_form(start_apache):
    site = start_apache()
    (site.root / "htdocs" / "sub").mkdir()
    (site.root / "htdocs" / "sub" / "file.txt").write_text("x")
    listing = requests.get(site.url("/sub/"), timeout=10)
    assert listing.status_code == 403  # mod_autoindex is loaded, as on Debian; Options -Indexes forbids listings
    assert "file.txt" not in listing.text
    assert requests.get(site.url("/cgi-bin/"), timeout=10).status_code in (403, 404)
    root = requests.get(site.url("/"), allow_redirects=False, timeout=10)
    assert (root.status_code, root.headers["Location"]) == (302, site.url("/echo_cgi.html"))
    assert requests.get(site.url("/nope.html"), timeout=10).status_code == 404


def test_security_headers_and_no_version_banner(start_apache):
    reply = requests.get(start_apache().url("/cgi-bin/echo_cgi.py?message=x"), timeout=10)
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["Server"] == "Apache"


def test_access_log_goes_to_stdout(start_apache):
    site = start_apache()
    requests.get(site.url("/cgi-bin/echo_cgi.py?message=logged"), timeout=10)
    site.server.wait_for_log('"GET /cgi-bin/echo_cgi.py?message=logged HTTP/1.1" 200')


def test_access_log_has_the_lab_format_and_a_request_id_sent_back(start_apache):
    """The lab's one format (stacklab_core.logs); a sane X-Request-ID kept, else mod_unique_id's, in the answer too."""
    site = start_apache()
    sent = "0123456789abcdef-apache"
    kept = requests.get(site.url("/cgi-bin/echo_cgi.py?message=kept"), headers={"X-Request-ID": sent}, timeout=10)
    made = requests.get(site.url("/cgi-bin/echo_cgi.py?message=made"), headers={"X-Request-ID": "x;y"}, timeout=10)
    assert kept.headers["X-Request-ID"] == sent
    assert made.headers["X-Request-ID"] not in ("", "x;y")
    for reply, message in ((kept, "kept"), (made, "made")):
        path = f"/cgi-bin/echo_cgi.py?message={message}"
        line = next(x for x in site.server.wait_for_log(f" {path} ").splitlines() if f" {path} " in x)
        fields = parse_access(line)
        assert fields, line
        assert (fields["method"], fields["path"], fields["status"]) == ("GET", path, "200")
        assert (fields["rid"], int(fields["bytes"])) == (reply.headers["X-Request-ID"], len(reply.content))


def test_access_log_can_go_to_a_piped_logger(start_apache, tmp_path):
    """As on a VM, where systemd-cat takes it into the journal (cgi_access_log): Apache runs the logger itself."""
    piped = tmp_path / "piped.log"
    site = start_apache(cgi_access_log=f"||/usr/bin/tee -a {piped}")
    requests.get(site.url("/cgi-bin/echo_cgi.py?message=piped"), timeout=10)
    deadline = time.monotonic() + 10  # Apache logs after answering; the logger writes what it reads at once
    while "message=piped" not in (piped.read_text() if piped.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert parse_access(piped.read_text())["path"] == "/cgi-bin/echo_cgi.py?message=piped"


def test_log_dir_variable_writes_log_files(start_apache, tmp_path):
    log_dir = tmp_path / "logs"  # Apache opens its logs as root, before it switches user
    log_dir.mkdir()
    site = start_apache(cgi_log_dir=str(log_dir))
    requests.get(site.url("/cgi-bin/echo_cgi.py?message=filed"), timeout=10)
    stdout = site.server.log()
    site.server.stop()  # flushes and closes the logs
    assert '"GET /cgi-bin/echo_cgi.py?message=filed HTTP/1.1" 200' in (log_dir / "cgi-access.log").read_text()
    assert (log_dir / "cgi-error.log").exists()
    assert "message=filed" not in stdout


def test_installed_scripts_are_mode_755_and_use_the_venv_interpreter(start_apache, cgi_venv):
    site = start_apache()
    for name in ("echo_cgi.py", "cgi_test.py", "healthz.py"):
        script = site.cgi_bin / name
        assert script.stat().st_mode & 0o777 == 0o755
        assert script.read_text().startswith(f"#!{cgi_venv / 'bin' / 'python'}\n")


def test_configtest_passes(apache_layout):
    _root, conf, _port = apache_layout()
    check = subprocess.run([APACHECTL, "-t", "-f", str(conf)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Syntax OK" in check.stderr


def test_configtest_fails_on_a_broken_site(apache_layout):
    root, conf, _port = apache_layout()
    (root / "site.conf").write_text((root / "site.conf").read_text().replace("</VirtualHost>", ""))
    check = subprocess.run([APACHECTL, "-t", "-f", str(conf)], capture_output=True, text=True, timeout=30)
    assert check.returncode != 0


def test_the_site_fits_debians_apache_layout(tmp_path):
    """As Ansible and the container install it: Debian's apache2.conf, `a2enmod cgid headers unique_id`, the site
    enabled."""
    confdir = tmp_path / "apache2"
    shutil.copytree("/etc/apache2", confdir, symlinks=True)
    for name in ("cgid.load", "cgid.conf", "headers.load", "unique_id.load"):
        link = confdir / "mods-enabled" / name
        if not link.exists():
            link.symlink_to(f"../mods-available/{name}")
    for enabled in (confdir / "sites-enabled").iterdir():
        enabled.unlink()
    (confdir / "sites-enabled" / "stacklab-cgi.conf").write_text(
        render_site(
            cgi_port=8083,
            cgi_document_root="/var/www/html",
            cgi_bin_dir="/usr/lib/cgi-bin",
            cgi_log_dir="/var/log/apache2",
        )
    )
    check = subprocess.run(
        [APACHECTL, "-t"], env={**os.environ, "APACHE_CONFDIR": str(confdir)}, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("path", ["/cgi-bin/cgi_test.py", "/cgi-bin/cgi_test.py/x", "//cgi-bin/cgi_test.py"])
def test_diagnostic_is_refused_to_what_a_front_server_forwards(start_apache, path):
    """A front on this machine (the TLS nginx on a VM) connects from loopback too: what it forwards carries
    X-Forwarded-For and is refused, by any spelling of the path, while the machine's own requests still get it."""
    site = start_apache()
    forwarded = requests.get(site.url(path), headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10)
    assert forwarded.status_code == 403
    assert "REQUEST_METHOD" not in forwarded.text
    assert requests.get(site.url("/cgi-bin/cgi_test.py"), timeout=10).status_code == 200
    echo = requests.get(site.url("/cgi-bin/echo_cgi.py?message=Hi"), headers={"X-Forwarded-For": "198.51.100.7"})
    assert echo.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8083", "127.0.0.1"])
def test_the_lab_index_link_goes_to_the_configured_address_whatever_the_host(start_apache, host):
    """A VM's site names the lab index (cgi_lab_url, from the inventory's names): a forged Host header cannot make
    the link an open redirect."""
    site = start_apache(cgi_lab_url="https://lab.example.org/")
    answer = requests.get(site.url("/cgi-bin/lab_index.py"), headers={"Host": host}, allow_redirects=False, timeout=10)
    assert (answer.status_code, answer.headers["Location"]) == (302, "https://lab.example.org/")
