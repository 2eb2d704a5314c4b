"""The chat client, driven as a subprocess through pipes, against a real chat server on 127.0.0.1."""

import subprocess
import time

from tests.unit.chat.helpers import PREFIX, ChatProcess, Peer
from tests.unit.servers import BIN, free_port


def test_prints_the_banner_sends_lines_and_shows_everyones_messages(start_chat):
    server = start_chat()
    with ChatProcess(server.port) as client, Peer(server.port) as other:
        client.wait_for_output(f"Connection accepted by (127.0.0.1,{server.port})\n> ")
        client.type("hello from the client\n")
        line = other.line()
        assert line is not None and line.endswith(b": hello from the client\n")
        client.wait_for_output(line.decode())  # its own message comes back too
        other.say(b"hello back")
        client.wait_for_output(other.tag(b"hello back").decode())  # shown while the client waits on stdin


def test_empty_line_quits(start_chat):
    server = start_chat()
    with ChatProcess(server.port) as client:
        client.wait_for_output("> ")
        client.type("one\n")
        client.wait_for_output(": one\n")
        client.type("\n")
        status, _, err = client.finish()
        assert status == 0, err
    server.wait_for_log("closed connection from")


def test_exits_when_the_server_goes_away(start_chat):
    server = start_chat()
    with ChatProcess(server.port) as client:
        client.wait_for_output("> ")
        server.proc.terminate()
        server.proc.wait(5)
        started = time.monotonic()
        status, _, err = client.finish()
        assert status == 1
        assert "chat: the server closed the connection" in err
        assert time.monotonic() - started < 5


def test_exits_when_the_server_resets_the_connection(start_chat):
    server = start_chat()
    with ChatProcess(server.port) as client:
        client.wait_for_output("> ")
        server.proc.kill()  # no clean close: the kernel still ends the connection
        status, _, err = client.finish()
        assert status == 1
        assert "chat: the server" in err


def test_piped_input_is_sent_then_the_client_exits_cleanly(start_chat):
    server = start_chat()
    with Peer(server.port) as other:
        result = subprocess.run(
            [str(BIN / "stacklab-chat"), "127.0.0.1", str(server.port)],
            input=b"first\nsecond\n",  # ends without an empty line: stdin EOF
            capture_output=True,
            timeout=10,
        )
        assert result.returncode == 0, result.stderr
        first, second = other.lines(2)
        assert first.endswith(b": first\n") and second.endswith(b": second\n")
        assert first.decode() in result.stdout.decode()  # it waited for its own messages to come back
        assert second.decode() in result.stdout.decode()
        assert first.startswith(f"{PREFIX} ('127.0.0.1', ".encode())


def test_reports_connection_refused():
    result = subprocess.run(
        [str(BIN / "stacklab-chat"), "127.0.0.1", str(free_port())], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 1
    assert "refused" in result.stderr.lower()
