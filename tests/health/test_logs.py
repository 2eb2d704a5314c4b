"""Logs on every target, read with the operator's own command: `./run logs` (compose), `./run swarm logs` (swarm),
`fab logs` as the deploy user (a VM). A test client's chat line and HTTP requests show up: Flask's two, one with the
client's id and one with the id nginx made up (read from the answer), each in nginx's line and gunicorn's; one to
Apache and one to a hand-written server. Every line parses in the lab's one format with its request's id
(stacklab_core.logs; docs/observability.md, "Logs").
"""

import re
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
from stacklab_core import catalog
from stacklab_core.logs import parse_access
from stacklab_testing.target import ROOT, skip_unless_vm

CHAT, FLASK, CGI, HELLO = (catalog.SERVICES[name] for name in ("chat", "flask", "cgi", "hello_www"))
WAIT = 10.0  # seconds for the lines to arrive (compose's nginx flushes its buffered log every second)


def chat_line(target, text: str) -> None:
    """Say one line in the chat and wait for it to come back (the server has read and logged it by then)."""
    with socket.create_connection((target.address, target.port(CHAT.port_key)), timeout=5) as chat:
        chat.sendall(text.encode() + b"\n")
        seen = b""
        while text.encode() not in seen:
            data = chat.recv(4096)
            assert data, f"the chat server closed before relaying {text!r}: {seen[-200:]!r}"
            seen += data


def deploy_alias(vm_host: str) -> tuple[str, str]:
    """(ssh_config, Host) of the deploy user from the suite's admin spec: ssh://NAME-admin?ssh_config=FILE, where
    Host NAME is deploy (hosting/standin writes both)."""
    url = urllib.parse.urlparse(vm_host)
    config = urllib.parse.parse_qs(url.query).get("ssh_config", [""])[0]
    if url.scheme != "ssh" or not config or not url.hostname.endswith("-admin"):
        pytest.skip("needs an ssh://NAME-admin spec with ssh_config (a stand-in): fab logs logs in as NAME")
    return config, url.hostname.removesuffix("-admin")


def read_logs(target, names: list[str]) -> str:
    """The logs of those catalog services from the last few minutes, as the operator reads them on this target."""
    if target.kind == "vm":
        config, host = deploy_alias(target.vm_host)
        fab = str(Path(sys.executable).parent / "fab")
        argv = [fab, "-S", config, "-H", host, "logs", "--unit", ",".join(names), "--since", "-2min"]
    elif target.kind == "swarm":
        argv = [str(ROOT / "run"), "swarm", "logs", *names, "--since", "2m"]
    else:
        argv = [str(ROOT / "run"), "logs", *names, "--since", "2m"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stderr[-2000:]}"
    return done.stdout


def source(target, line: str) -> str:
    """Which process wrote a line of read_logs(): its compose service (`flask-nginx-1  | ...`), swarm service
    (`stacklab_flask.2.abc@node | ...`) or systemd unit (`... nginx.service[42]: ...`, journalctl -o with-unit)."""
    pattern = {
        "compose": r"^(\S+)-\d+\s+\| ",
        "swarm": rf"^{re.escape(target.project)}_(\S+?)\.\d+\.\S+\s+\| ",
        "vm": r" ([\w@.-]+)\.service\[\d+\]: ",
    }[target.kind]
    found = re.search(pattern, line)
    return found[1] if found else ""


def writers(target, service: catalog.Service) -> set[str]:
    """Who logs a request to `service` (source()): its front and its app, or its one server."""
    return set(service.units) if target.kind == "vm" else {c for c in (service.container, service.app) if c}


def test_chat_line_and_requests_are_in_the_logs_with_one_request_id_front_to_app(target):
    """Flask twice (a sane id kept, a bad one replaced by nginx's), Apache and a hand-written server once each."""
    token = uuid.uuid4().hex[:12]
    chat_line(target, f"logs-probe-{token}")
    sent = f"logs-probe-{token}-sent"
    asked = [  # (service, path, the X-Request-ID sent)
        (FLASK, f"/healthz?probe={token}&rid=sent", sent),
        (FLASK, f"/healthz?probe={token}&rid=made", "bad id, replaced"),
        (CGI, f"/cgi-bin/echo_cgi.py?message=logs-probe-{token}", sent),
        (HELLO, f"/logs-probe-{token}", sent),
    ]
    rids = {}
    for service, path, header in asked:
        url = f"http://{target.address}:{target.port(service.port_key)}{path}"
        reply = requests.get(url, headers={"X-Request-ID": header}, timeout=10, allow_redirects=False)
        assert reply.status_code == 200, (url, reply.status_code)
        rids[path] = reply.headers.get("X-Request-ID", "")
    assert [rids[path] for _, path, header in asked if header == sent] == [sent] * 3, "a sane client id is kept"
    assert re.fullmatch(r"[0-9a-f]{32}", rids[asked[1][1]]), "nginx's own $request_id"

    deadline = time.monotonic() + WAIT
    while True:
        text = read_logs(target, ["chat", "flask", "cgi", "hello_www"])
        lines = [line for line in text.splitlines() if token in line]
        seen = {path: {source(target, x) for x in lines if f" {path} " in x} for _, path, _ in asked}
        if all(seen[path] >= writers(target, s) for s, path, _ in asked) or time.monotonic() > deadline:
            break
        time.sleep(1)
    chat = writers(target, CHAT)
    assert any(source(target, x) in chat for x in lines), f"no chat line from {chat}:\n{text[-3000:]}"
    for service, path, _ in asked:
        assert seen[path] >= writers(target, service), f"{path}: lines only from {seen[path]}:\n{text[-3000:]}"
        for line in (x for x in lines if f" {path} " in x):
            fields = parse_access(line)
            assert fields, f"not the lab's format: {line}"
            assert (fields["method"], fields["path"], fields["status"]) == ("GET", path, "200"), line
            assert fields["rid"] == rids[path], f"{source(target, line)}: id {fields['rid']}, answer {rids[path]}"


def test_deploy_reads_the_journal_and_no_log_file_it_could_not_before(target, request):
    """deploy's only group beyond its own is systemd-journal (the journal and nothing else): no sudo, and no file
    under /var/log outside the journal that a user in no group cannot read too (adm could: nginx's, Apache's)."""
    skip_unless_vm(target)
    vm = request.getfixturevalue("vm")
    assert vm.check_output("id -Gn deploy").split() == ["deploy", "systemd-journal"]

    def readable(user: str) -> set[str]:
        """The files under /var/log but the journal that `user` may read (the folders it may not enter: none)."""
        find = "find /var/log -path /var/log/journal -prune -o -type f -readable -print 2>/dev/null"
        return set(vm.run(f"cd / && sudo -u {user} {find}").stdout.split())

    assert readable("deploy") == readable("nobody")
    locked = set(vm.check_output("find /var/log/nginx /var/log/apache2 -type f -group adm").split())
    assert locked and not locked & readable("deploy"), "the test needs adm-only logs to mean something"
    journal = vm.run("sudo -u deploy journalctl --quiet --no-pager --lines 1 --unit nginx --output cat")
    assert journal.rc == 0 and journal.stdout.strip(), journal.stderr
