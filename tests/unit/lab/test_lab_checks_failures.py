"""The checks' failure modes against small fake servers: each must fail, with a message that says why."""

import socket
import threading
import time

import pytest
from stacklab_core import checks
from stacklab_core.checks import CheckFailed

from tests.unit.lab.helpers import plan
from tests.unit.servers import free_port


def test_refused_connection(fake_server):
    port = free_port()
    with pytest.raises(CheckFailed, match=rf"127\.0\.0\.1:{port}: connection refused"):
        checks.CHECKS["echo"]("127.0.0.1", plan(ECHO_PORT=port), 1.0)


def test_wrong_prefix(fake_server):
    port = fake_server(lambda conn: conn.sendall(b"someone-else: " + conn.recv(1024)))
    with pytest.raises(CheckFailed, match="expected 'uw-student: Hello, world', got b'someone-else: Hello, world'"):
        checks.CHECKS["echo"]("127.0.0.1", plan(ECHO_PORT=port), 1.0)


def test_configured_prefix_is_expected(fake_server):
    port = fake_server(lambda conn: conn.sendall(b"jon-jacky: " + conn.recv(1024)))
    detail = checks.CHECKS["echo"]("127.0.0.1", {**plan(ECHO_PORT=port), "ECHO_PREFIX": "jon-jacky"})
    assert detail == "replied 'jon-jacky: Hello, world' and closed"


def test_silent_server_times_out(fake_server):
    port = fake_server(lambda conn: time.sleep(2))
    start = time.monotonic()
    with pytest.raises(CheckFailed, match=r"did not close the connection|no reply"):
        checks.CHECKS["echo"]("127.0.0.1", plan(ECHO_PORT=port), 0.3)
    assert time.monotonic() - start < 1.5


def test_recho_that_closes_after_one_message(fake_server):
    def one_shot(conn):
        conn.sendall(b"uw-student: " + conn.recv(1024))
        # Hang up cleanly (FIN, then drain): closing with the check's next message unread would reset instead.
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(1024):
            pass

    port = fake_server(one_shot)
    with pytest.raises(CheckFailed, match="connection closed after b''"):
        checks.CHECKS["recho"]("127.0.0.1", plan(RECHO_PORT=port), 1.0)


def test_echo_select_that_answers_the_wrong_client(fake_server):
    port = fake_server(lambda conn: conn.sendall(b"uw-student: stacklab check XX"))
    with pytest.raises(CheckFailed, match="sent 'stacklab check B1'"):
        checks.CHECKS["echo_select"]("127.0.0.1", plan(ECHO_SELECT_PORT=port), 1.0)


def test_chat_that_only_echoes_to_the_sender(fake_server):
    def echo_lines(conn):
        for line in conn.makefile("rb"):
            conn.sendall(b"uw-student ('127.0.0.1', 1): " + line)

    port = fake_server(echo_lines)
    with pytest.raises(CheckFailed, match="not received"):
        checks.CHECKS["chat"]("127.0.0.1", plan(CHAT_PORT=port), 0.5)


def test_chat_in_the_wrong_format(fake_server):
    def echo_lines(conn):
        for line in conn.makefile("rb"):
            conn.sendall(b"uw-student: " + line)  # the echo format, not the chat format

    port = fake_server(echo_lines)
    with pytest.raises(CheckFailed, match=r"got b'uw-student: stacklab check \w+ alice here"):
        checks.CHECKS["chat"]("127.0.0.1", plan(CHAT_PORT=port), 0.5)


def test_chat_whose_clients_disagree_on_the_sender(fake_server):
    clients, lock = [], threading.Lock()

    def broadcast(conn):  # every line to every client, but each client is told a different sender
        with lock:
            clients.append(conn)
        for line in conn.makefile("rb"):
            with lock:
                for n, client in enumerate(clients):
                    client.sendall(b"uw-student ('127.0.0.1', %d): " % n + line)

    port = fake_server(broadcast)
    with pytest.raises(CheckFailed, match="the two clients saw different senders"):
        checks.CHECKS["chat"]("127.0.0.1", plan(CHAT_PORT=port), 0.5)


def test_the_course_hello_www_response_is_malformed(fake_server):
    def course_hello(conn):  # course.md 1.6: a leading blank line and no colon after Content-Type
        conn.recv(1024)
        conn.sendall(b"\nHTTP/1.0 200 OK\nContent-Type text/html\n\n<html><body>Hello, world!</body></html>\n")

    port = fake_server(course_hello)
    with pytest.raises(CheckFailed, match=r"GET http://127\.0\.0\.1:\d+/: malformed HTTP response"):
        checks.CHECKS["hello_www"]("127.0.0.1", plan(HELLO_WWW_PORT=port), 1.0)


def http_server(status: str, body: bytes, content_type: bytes = b"text/html"):
    def handler(conn):
        conn.recv(65536)
        head = b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: " + content_type
        conn.sendall(head + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)

    return handler


def test_healthz_503(fake_server):
    port = fake_server(http_server("503 Service Unavailable", b"database down"))
    with pytest.raises(CheckFailed, match="GET /healthz: status 503, expected 200 \\('database down'\\)"):
        checks.CHECKS["flask"]("127.0.0.1", plan(FLASK_PORT=port), 1.0)


def test_echo_www_without_the_prefix(fake_server):
    port = fake_server(http_server("200 OK", b"<p>/stacklab-check</p>"))
    with pytest.raises(CheckFailed, match=r"'uw-student: /stacklab-check-\w+' not in the body"):
        checks.CHECKS["echo_www"]("127.0.0.1", plan(ECHO_WWW_PORT=port), 1.0)


def test_ws30_listing_served_as_text(fake_server):
    port = fake_server(http_server("200 OK", b'<a href="x">x</a>', b"text/plain"))
    with pytest.raises(CheckFailed, match="Content-Type 'text/plain', expected text/html"):
        checks.CHECKS["ws30"]("127.0.0.1", plan(WS30_PORT=port), 1.0)


def test_cgi_echo_not_escaping_its_input_still_must_echo(fake_server):
    port = fake_server(http_server("200 OK", b"ok"))  # /healthz fine, but the echo page lacks the message
    with pytest.raises(CheckFailed, match=r"'Message: stacklab-check-\w+' not in the body"):
        checks.CHECKS["cgi"]("127.0.0.1", plan(CGI_PORT=port), 1.0)


def test_unknown_host_name():
    with pytest.raises(CheckFailed, match=r"no-such-host\.invalid:"):
        checks.CHECKS["echo"]("no-such-host.invalid", plan(), 1.0)


def test_run_reports_every_check_in_order_concurrently(fake_server):
    slow = fake_server(lambda conn: time.sleep(1.5))
    names = ["flask", "django", "wsgi", "lab"]
    start = time.monotonic()
    slow_plan = plan(FLASK_PORT=slow, DJANGO_PORT=slow, WSGI_PORT=slow, LAB_PORT=slow)
    results = checks.run("127.0.0.1", slow_plan, names, 1.0)
    assert time.monotonic() - start < 2.5  # four 1 s timeouts at once, not one after the other
    assert [r.name for r in results] == names
    assert all(not r.ok and "no answer within 1 s" in r.detail and r.seconds >= 0.9 for r in results)


def test_run_with_a_host_per_service_and_a_port_override(fake_server):
    port = fake_server(http_server("200 OK", b"ok"))
    targets = checks.parse_targets(f"flask=localhost:{port},django=127.0.0.1:{port}")
    results = {r.name: r for r in checks.run(targets, plan(), ["flask", "django", "wsgi"], 1.0)}
    assert results["flask"].ok and results["django"].ok
    assert results["flask"].detail == "GET /healthz 200"
    assert not results["wsgi"].ok and "connection refused" in results["wsgi"].detail


def test_run_without_a_host_for_a_service():
    [result] = checks.run({"echo": "127.0.0.1"}, plan(), ["chat"], 1.0)
    assert (result.ok, result.detail) == (False, "no target host given for chat")


def test_run_with_a_broken_port_plan():
    [result] = checks.run("127.0.0.1", {**plan(), "ECHO_PORT": "fifty"}, ["echo"], 1.0)
    assert not result.ok
    assert "ECHO_PORT is 'fifty', not a port number" in result.detail


def test_run_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown checks \\['gopher'\\]"):
        checks.run("127.0.0.1", plan(), ["echo", "gopher"])


def test_parse_targets():
    targets = checks.parse_targets("echo=echo, chat=chat:50004, 127.0.0.2, flask=[::1]:5000")
    assert targets["echo"] == "echo"
    assert targets["chat"] == "chat:50004"
    assert targets["flask"] == "[::1]:5000"
    assert targets["django"] == "127.0.0.2"  # the bare entry is the default for the rest
    assert set(targets) == set(checks.CHECKS)
    assert checks.parse_targets("") == dict.fromkeys(checks.CHECKS, "127.0.0.1")


def test_parse_targets_compose_names_each_front_service():
    targets = checks.parse_targets("compose,lab=127.0.0.1")
    assert (targets["echo_select"], targets["django"], targets["lab"]) == ("echo-select", "django-nginx", "127.0.0.1")


@pytest.mark.parametrize("text", ["gopher=gopher", "echo="])
def test_parse_targets_refuses_nonsense(text):
    with pytest.raises(ValueError, match="target"):
        checks.parse_targets(text)
