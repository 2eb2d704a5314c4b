"""The three hand-written servers when the machine says no: a port already taken, no file descriptor left."""

import pytest

from tests.unit.servers import assert_not_spinning, free_fds, free_port, run_on_taken_port, under_soft_fd_limit
from tests.unit.www.helpers import PREFIX, SCRIPTS, raw_exchange, request

SERVERS = ["hello_www", "echo_www", "ws30"]


@pytest.mark.parametrize("name", SERVERS)
def test_port_in_use_is_one_clear_error(name):
    port, result = run_on_taken_port(SCRIPTS[name])
    assert result.returncode == 1
    assert result.stderr.startswith(f"{name} cannot listen on 127.0.0.1 port {port}: Address already in use")
    assert result.stderr.count("\n") == 1, "one line, no traceback"


@pytest.mark.parametrize("name", SERVERS)
def test_out_of_file_descriptors_backs_off_then_serves(start_server, name, tmp_path):
    port = free_port()
    # 0-2 stdio, 3-4 the signal wake-up pair, 5 the listener, 6 the selector: accept has nothing left for a client.
    argv = under_soft_fd_limit(7, SCRIPTS[name], "--host", "127.0.0.1", "--port", str(port), "--timeout", "2")
    server = start_server(argv, port, env={"ECHO_PREFIX": PREFIX}, cwd=tmp_path)  # its probe waits in the backlog
    pid = server.proc.pid
    server.wait_for_log("accept paused: Too many open files")
    assert_not_spinning(pid)
    assert server.log().count("accept paused") == 1
    free_fds(pid)
    assert request(server.port, "/")[0].status == 200
    server.wait_for_log("accept resumed")
    assert raw_exchange(server.port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 200 ")
