"""The checks against the lab's real servers, started from their console scripts on 127.0.0.1.

A server that is not in the workspace yet is skipped with the reason; the Flask app runs under real gunicorn.
"""

import socket
from pathlib import Path

import pytest
from stacklab_core import checks
from stacklab_core.checks import CheckFailed

from tests.unit.lab.helpers import plan
from tests.unit.servers import BIN, free_port

FLASK_GUNICORN_CONF = Path(__file__).parents[3] / "services" / "flask" / "conf" / "gunicorn.conf.py"
PREFIX = "lab-test"  # not the default, so the checks must take it from the plan

SOCKET_AND_WWW_SERVERS = [
    ("echo", "stacklab-echo-server", "ECHO_PORT"),
    ("recho", "stacklab-recho-server", "RECHO_PORT"),
    ("echo_select", "stacklab-echo-select", "ECHO_SELECT_PORT"),
    ("chat", "stacklab-chat-server", "CHAT_PORT"),
    ("hello_www", "stacklab-hello-www", "HELLO_WWW_PORT"),
    ("echo_www", "stacklab-echo-www", "ECHO_WWW_PORT"),
    ("ws30", "stacklab-ws30", "WS30_PORT"),
]


def start_console_script(start_server, script: str, cwd: Path | None = None):
    if not (BIN / script).exists():
        pytest.skip(f"{script} is not in the workspace yet")
    port = free_port()
    return start_server([script, "--host", "127.0.0.1", "--port", str(port)], port, {"ECHO_PREFIX": PREFIX}, cwd)


@pytest.mark.parametrize(("name", "script", "port_key"), SOCKET_AND_WWW_SERVERS)
def test_check_passes_against_the_real_server(start_server, tmp_path, name, script, port_key):
    (tmp_path / "index.html").write_text("<p>ws30 fixture</p>\n")  # ws30 lists its working directory
    server = start_console_script(start_server, script, cwd=tmp_path)
    [result] = checks.run("127.0.0.1", {**plan(**{port_key: server.port}), "ECHO_PREFIX": PREFIX}, [name])
    assert result.ok, result.detail
    assert server.alive()


def test_echo_check_leaves_the_course_log_line(start_server, tmp_path):
    server = start_console_script(start_server, "stacklab-echo-server", tmp_path)
    checks.CHECKS["echo"]("127.0.0.1", {**plan(ECHO_PORT=server.port), "ECHO_PREFIX": PREFIX})
    server.wait_for_log(": Hello, world")


def test_recho_check_fails_while_another_client_holds_the_serial_server(start_server, tmp_path):
    server = start_console_script(start_server, "stacklab-recho-server", tmp_path)
    ports = {**plan(RECHO_PORT=server.port), "ECHO_PREFIX": PREFIX}
    with socket.create_connection(("127.0.0.1", server.port)) as first:
        first.sendall(b"hi")
        assert first.recv(1024) == f"{PREFIX}: hi".encode()  # the server is now serving this client only
        with pytest.raises(CheckFailed, match="no reply within the timeout"):
            checks.CHECKS["recho"]("127.0.0.1", ports, 0.5)
    assert checks.CHECKS["recho"]("127.0.0.1", ports) == "two messages echoed on one connection"


def test_chat_check_with_the_real_server_sees_the_senders_address(start_server, tmp_path):
    server = start_console_script(start_server, "stacklab-chat-server", tmp_path)
    detail = checks.CHECKS["chat"]("127.0.0.1", {**plan(CHAT_PORT=server.port), "ECHO_PREFIX": PREFIX})
    assert "from ('127.0.0.1', " in detail


def test_flask_check_against_gunicorn(start_server, tmp_path):
    port = free_port()
    env = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_SECRET_KEY": "test-only",
        "FLASK_HISTORY_DB": str(tmp_path / "history.sqlite3"),
    }
    start_server(["gunicorn", "-c", str(FLASK_GUNICORN_CONF)], port, env)
    assert checks.CHECKS["flask"]("127.0.0.1", plan(FLASK_PORT=port)) == "GET /healthz 200"


def test_lab_check_against_the_lab_index(start_server):
    server = start_console_script(start_server, "stacklab-lab")
    assert checks.CHECKS["lab"]("127.0.0.1", plan(LAB_PORT=server.port)) == "GET /healthz 200"


def test_check_command_exit_status(start_server, tmp_path, capsys):
    server = start_console_script(start_server, "stacklab-lab")
    env_file = tmp_path / "stack.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in plan(LAB_PORT=server.port).items()))
    assert checks.main(["--env-file", str(env_file), "lab"]) == 0
    assert checks.main(["--env-file", str(env_file), "--timeout", "1", "lab", "flask"]) == 1
    out = capsys.readouterr().out
    assert "ok   lab" in out
    assert "FAIL flask" in out and "connection refused" in out
