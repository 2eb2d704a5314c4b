"""Chat server (course §1.4, checks §2 item 4) on 127.0.0.1: broadcast, framing, order, bad clients."""

import contextlib
import signal
import socket
import sys
import threading
import time

import pytest
from stacklab_core.runtime import SHUTTING_DOWN

from tests.unit.chat.helpers import PREFIX, Peer
from tests.unit.servers import free_port, run_on_taken_port


def test_message_reaches_every_client_sender_included_with_the_senders_tuple(start_chat):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b, Peer(server.port) as c:
        a.say(b"hi")
        expected = f"{PREFIX} ('127.0.0.1', {a.addr[1]}): hi\n".encode()
        assert a.line() == expected
        assert b.line() == expected
        assert c.line() == expected
    server.wait_for_log(f"{a.addr!r}: hi\n")


def test_after_one_leaves_the_others_still_get_messages(start_chat):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as c:
        b = Peer(server.port)
        a.say(b"before")
        for peer in (a, b, c):
            assert peer.line() == a.tag(b"before")
        b.close()
        server.wait_for_log(f"closed connection from {b.addr!r}\n")
        a.say(b"after")
        assert a.line() == a.tag(b"after")
        assert c.line() == a.tag(b"after")
        assert server.alive()


def test_default_prefix_is_the_courses(start_server):
    port = free_port()
    server = start_server(["stacklab-chat-server", "--port", str(port)], port, env={"ECHO_PREFIX": ""})
    with Peer(server.port) as a:
        a.say(b"hi")
        assert a.line() == f"uw-student {a.addr!r}: hi\n".encode()


def test_a_partial_line_waits_for_its_newline(start_chat):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.sock.sendall(b"hel")
        assert b.silent_for(0.5)
        a.sock.sendall(b"lo\nsecond\nthird\r\n")  # one send, three messages; a CR before LF is dropped
        assert b.lines(3) == [a.tag(b"hello"), a.tag(b"second"), a.tag(b"third")]
        assert a.lines(3) == [a.tag(b"hello"), a.tag(b"second"), a.tag(b"third")]


def test_empty_lines_are_not_messages(start_chat):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.sock.sendall(b"\n\r\n\nreal\n")
        assert b.line() == a.tag(b"real")
        assert b.silent_for(0.3)


def test_each_senders_messages_arrive_in_order_and_everyone_sees_the_same_order(start_chat):
    server = start_chat()
    peers = [Peer(server.port) for _ in range(3)]
    count = 40
    try:
        threads = [threading.Thread(target=_say_many, args=(peer, count)) for peer in peers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        seen = [peer.lines(count * len(peers), timeout=10) for peer in peers]
        assert all(len(lines) == count * len(peers) for lines in seen), [len(lines) for lines in seen]
        assert seen[0] == seen[1] == seen[2]  # one global order
        for sender in peers:
            own = [line for line in seen[0] if line.startswith(sender.tag(b"")[:-1])]
            assert own == [sender.tag(f"message {i}".encode()) for i in range(count)]
    finally:
        for peer in peers:
            peer.close()


def test_abrupt_reset_does_not_crash_the_server(start_chat):
    server = start_chat()
    with Peer(server.port) as a:
        quiet, busy = Peer(server.port), Peer(server.port)
        quiet.reset()
        busy.sock.sendall(b"half a line")
        busy.reset()
        a.say(b"still up")  # the broadcast may hit a reset peer
        assert a.line() == a.tag(b"still up")
        server.wait_for_log("Connection reset by peer")
        assert server.alive()


def test_reset_while_being_written_to(start_chat):
    server = start_chat()
    with Peer(server.port) as talker:
        victim = Peer(server.port)
        victim.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for i in range(200):
            talker.say(b"x" * 2000 + str(i).encode())
        victim.reset()
        talker.say(b"last")
        lines = talker.lines(201, timeout=10)
        assert lines[-1] == talker.tag(b"last")
        assert server.alive()


def test_clients_that_connect_and_send_nothing(start_chat):
    server = start_chat()
    silent = [Peer(server.port) for _ in range(10)]
    try:
        for peer in silent[:5]:
            peer.close()  # connect, then close without a word
        with Peer(server.port) as a:
            a.say(b"hello silent ones")
            assert a.line() == a.tag(b"hello silent ones")
            for peer in silent[5:]:
                assert peer.line() == a.tag(b"hello silent ones")
    finally:
        for peer in silent:
            peer.close()


def test_one_megabyte_line_is_refused_and_the_connection_lives_on(start_chat):
    server = start_chat()
    with Peer(server.port, timeout=20) as big, Peer(server.port) as other:
        sender = threading.Thread(target=big.sock.sendall, args=(b"x" * 1_000_000 + b"\nafter\n",))
        sender.start()
        assert big.line(timeout=10) == b"error: line longer than 65536 bytes refused\n"
        assert big.line(timeout=10) == big.tag(b"after")
        assert other.line(timeout=10) == big.tag(b"after")  # and nothing of the long line
        sender.join(10)
    server.wait_for_log("line longer than 65536 bytes refused")
    assert server.alive()


def test_binary_garbage_is_relayed_as_escaped_text_and_logged_on_one_line(start_chat):
    server = start_chat()
    garbage = bytes(b for b in range(256) if b not in b"\r\n")
    with Peer(server.port) as a, Peer(server.port) as b:
        a.say(garbage)
        relayed = b.line()
        assert a.line() == relayed
    text = relayed.decode("ascii").removeprefix(a.tag(b"")[:-1].decode()).removesuffix("\n")
    assert text.startswith("\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\t\\x0b\\x0c\\x0e")  # tab kept
    assert ' !"#$%&' in text and "xyz{|}~\\x7f\\x80\\x81" in text and text.endswith("\\xfe\\xff")
    log = server.log()
    assert "\x00" not in log
    assert f"{a.addr!r}: \\x00\\x01" in log


# Each would act on the receiving terminal: clear it, move the cursor, set its title, reverse the text, ring.
TERMINAL_INJECTIONS = [
    b"\x1b[2J\x1b[H",
    b"fake\rreal",
    b"\x1b]0;title\x07",
    "\u202eevil".encode(),
    "\u009b31m".encode(),
    b"\x9b31m",
    b"\x7f\x00",
]


@pytest.mark.parametrize("line", TERMINAL_INJECTIONS, ids=repr)
def test_no_control_character_reaches_another_client(start_chat, line):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.say(line)
        relayed = b.line()
    assert relayed.startswith(a.tag(b"")[:-1]) and relayed.endswith(b"\n")
    assert relayed[:-1].decode().isprintable(), relayed


def test_unicode_text_is_relayed_unchanged(start_chat):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.say("grüße, 東京\tand a tab".encode())
        assert b.line() == a.tag("grüße, 東京\tand a tab".encode())


FORGERIES = [
    b"tester ('127.0.0.1', 40000): I am someone else",
    b"tester ('10.0.0.1', 1): any address",
    b"  tester ('::1', 5): after spaces",
    b"tester alice ('127.0.0.1', 2): with a nick",
    b"tester ('127.0.0.1', 3) left",
    b"tester ('127.0.0.1', 4)\r: after a carriage return",
]


@pytest.mark.parametrize("line", FORGERIES, ids=repr)
def test_line_forging_a_sender_tag_is_refused(start_chat, line):
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.say(line)
        assert a.line() == b"error: a line may not begin like a sender's tag PREFIX ('ip', port)\n"
        a.say(b"quoting tester ('127.0.0.1', 40000): is fine mid-line")
        assert b.line() == a.tag(b"quoting tester ('127.0.0.1', 40000): is fine mid-line")  # the forgery never came
    server.wait_for_log("line forging a sender's tag refused")


def test_client_that_never_reads_is_dropped_without_stalling_the_others(start_chat):
    server = start_chat(CHAT_MAX_OUTPUT="65536")
    hog = socket.socket()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill the kernel's buffers quickly
    hog.settimeout(5)
    hog.connect(("127.0.0.1", server.port))
    with hog, Peer(server.port) as talker, Peer(server.port) as listener:
        for batch in range(100):
            for i in range(10):
                talker.say(f"{batch}.{i} ".encode() + b"m" * 10_000)
            # the others get every message promptly, hog or not
            assert len(listener.lines(10, timeout=3)) == 10, f"listener stalled at batch {batch}"
            assert len(talker.lines(10, timeout=3)) == 10, f"talker stalled at batch {batch}"
            if "more than 65536 bytes unread" in server.log():
                break
        server.wait_for_log("more than 65536 bytes unread", timeout=1)
        hog.settimeout(5)
        received = 0
        while chunk := hog.recv(65536):  # what the kernels still held, then the end: it was cut off
            received += len(chunk)
        assert received < (batch + 1) * 10 * 10_000


def test_heartbeat_after_idle_seconds(start_chat):
    server = start_chat(CHAT_HEARTBEAT="1")
    server.wait_for_log("Server running at ", timeout=5)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(start_chat, sig):
    server = start_chat()
    with Peer(server.port) as a:
        a.say(b"here")
        a.line()
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=5) == 0
        assert a.closed_by_server()
    assert "chat_server shutting down" in server.log()


def test_stopping_server_tells_every_client_and_closes_without_reset(start_chat):
    """A deploy restarts the chat server: each open session reads a last line saying so, then a clean end of
    stream (FIN). A reset would raise ConnectionResetError in recv and could destroy that line before it is read."""
    server = start_chat()
    with Peer(server.port) as a, Peer(server.port) as b:
        a.say(b"here")
        assert a.line() == b.line() == a.tag(b"here")
        server.proc.send_signal(signal.SIGTERM)
        for peer in (a, b):
            assert peer.line() == SHUTTING_DOWN
            peer.sock.settimeout(5)
            assert peer.sock.recv(1) == b""  # the end of the stream, not a reset
        assert server.proc.wait(timeout=5) == 0


@pytest.mark.parametrize("stdin", ["<&-", "0>/dev/null", ""])
def test_runs_whatever_stdin_is(start_server, stdin):
    """The course's chat server stopped on stdin EOF and crashed on an unreadable stdin."""
    port = free_port()
    argv = ["/bin/sh", "-c", f'exec "$0" -m stacklab_chat.server "$@" {stdin}', sys.executable, "--port", str(port)]
    server = start_server(argv, port)  # also: it runs as `python -m stacklab_chat.server`
    time.sleep(0.5)
    assert server.alive(), server.log()
    with Peer(port) as a:
        a.say(b"detached")
        assert a.line() == f"uw-student {a.addr!r}: detached\n".encode()
    assert f"chat_server listening on port {port}" in server.log()


def _say_many(peer: Peer, count: int) -> None:
    for i in range(count):
        peer.say(f"message {i}".encode())


def test_port_in_use_is_one_clear_error():
    port, result = run_on_taken_port("stacklab-chat-server")
    assert result.returncode == 1
    assert f"chat_server cannot listen on 127.0.0.1 port {port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_extras_are_off_by_default(start_chat):
    server = start_chat()
    with Peer(server.port) as a:
        with Peer(server.port) as b:
            b.say(b"/nick bob")  # just a message in the course's protocol
            assert a.line() == b.tag(b"/nick bob")  # no `joined` notice came first
        server.wait_for_log(f"closed connection from {b.addr!r}")
        assert a.silent_for(0.3)  # no `left` notice either


def test_extras_announce_joins_leaves_and_nicks(start_chat):
    server = start_chat(CHAT_EXTRAS="1")
    server.wait_for_log("closed connection from")  # the fixture's port probe has come and gone
    with Peer(server.port) as a:
        assert a.line() == f"{PREFIX} {a.addr!r} joined\n".encode()
        b = Peer(server.port)
        assert a.line() == f"{PREFIX} {b.addr!r} joined\n".encode()
        assert b.line() == f"{PREFIX} {b.addr!r} joined\n".encode()
        b.say(b"/nick bob")
        b.say(b"hi")
        for peer in (a, b):
            assert peer.lines(2) == [
                f"{PREFIX} {b.addr!r} is now known as bob\n".encode(),
                f"{PREFIX} bob {b.addr!r}: hi\n".encode(),
            ]
        b.say(b"/nick two words")
        assert b.line() == b"error: a nick is 1 to 32 printable characters without spaces\n"
        b.close()
        assert a.line() == f"{PREFIX} {b.addr!r} left\n".encode()


def test_talking_clients_that_never_read_are_dropped_too(start_chat):
    """Hogs that keep sending get dropped in the middle of rounds in which their own input is still pending."""
    server = start_chat(CHAT_MAX_OUTPUT="65536")
    hogs = []
    for _ in range(12):
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.settimeout(5)
        hog.connect(("127.0.0.1", server.port))
        hogs.append(hog)
    talker = Peer(server.port, timeout=30)  # a loaded machine can take seconds over the hogs' drops: not a speed test
    threads = [threading.Thread(target=_send_until_dropped, args=(hog,), daemon=True) for hog in hogs]
    threads.append(threading.Thread(target=_read_until_closed, args=(talker.sock,), daemon=True))
    for thread in threads:
        thread.start()
    try:
        for batch in range(200):
            talker.sock.sendall(b"".join(f"{batch}.{i} ".encode() + b"t" * 10_000 + b"\n" for i in range(10)))
            if server.log().count("more than 65536 bytes unread") == len(hogs) or not server.alive():
                break
        assert server.alive(), server.log()[-3000:]
        assert server.log().count("more than 65536 bytes unread") == len(hogs)
        with Peer(server.port) as newcomer:
            newcomer.say(b"still serving")
            deadline = time.monotonic() + 5
            while (line := newcomer.line(timeout=1)) != newcomer.tag(b"still serving"):  # after the talker's last
                assert line is not None and time.monotonic() < deadline, line
    finally:
        for sock in [*hogs, talker.sock]:
            sock.close()
        for thread in threads:
            thread.join(5)


def _send_until_dropped(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # dropped by the server, or closed by the test: done
        for _ in range(100_000):
            sock.send(b"hog line\n")


def _read_until_closed(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while sock.recv(1 << 20):
            pass
