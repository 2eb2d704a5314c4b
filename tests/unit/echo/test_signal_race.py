"""A stop signal that arrives just before a server begins to wait must still stop it.

Python runs a signal handler only between two steps of the program, in the main thread: a signal that lands after
the last step and before a blocking select/accept/recv begins leaves the handler waiting with it (seen in CI and
in the unit runs: hello_www asleep in epoll_wait 10 s after SIGTERM, stopped by a second one), and so does a signal
the kernel hands to another thread. To make that moment happen every time, a helper thread sends SIGTERM to itself
once the server is waiting: the interpreter notes the signal there, and the main thread sleeps on. The servers must
stop anyway: a wakeup byte from the interpreter wakes the select loops (signal.set_wakeup_fd), and the blocking
servers wait in slices (runtime.SIGNAL_CHECK_SECONDS).
"""

import subprocess
import sys

import pytest

from tests.unit.servers import free_port

# module -> its port variable
SERVERS = {
    "stacklab_echo.echo_server": "ECHO_PORT",
    "stacklab_echo.recho_server": "RECHO_PORT",
    "stacklab_echo.select_server": "ECHO_SELECT_PORT",
    "stacklab_chat.server": "CHAT_PORT",
    "stacklab_www.hello_www": "HELLO_WWW_PORT",
    "stacklab_www.echo_www": "ECHO_WWW_PORT",
    "stacklab_www.ws30": "WS30_PORT",
}

SIGNAL_WHILE_WAITING = """
import importlib, signal, socket, sys, threading, time
module, port = sys.argv[1:]

def kick():
    while True:  # listening?
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(1.0)  # the probe is served and the main thread waits again
    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

threading.Thread(target=kick, daemon=True).start()
sys.exit(importlib.import_module(module).main(["--host", "127.0.0.1"]))
"""


@pytest.mark.parametrize("module", sorted(SERVERS))
def test_a_signal_noted_while_the_server_waits_stops_it(module, tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", SERVERS[module]: str(port)}
    try:
        result = subprocess.run(
            [sys.executable, "-c", SIGNAL_WHILE_WAITING, module, str(port)],
            env=env,
            cwd=tmp_path,  # ws30 serves its working directory
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=8,  # the signal comes ~1 s after listening; below select_server's 10 s heartbeat, which wakes it
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{module} still running 7 s after SIGTERM; it printed: {exc.stdout!r}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shutting down" in result.stdout, result.stdout


def test_the_signal_handler_only_notes_the_signal():
    """The handler raising Shutdown itself let it come out of any line, once out of a semaphore's __exit__: the
    one-shot server kept that lock and hung in its shutdown (seen in the unit runs: 30 s after `shutting down`)."""
    noted = """
import signal
from stacklab_core import runtime
runtime.handle_signals()
signal.raise_signal(signal.SIGTERM)  # the handler has run when this returns
print("after the signal:", runtime.stop_signal() or "-", flush=True)
try:
    runtime.check_stop()
except runtime.Shutdown as stop:
    print("check_stop:", stop)
"""
    result = subprocess.run([sys.executable, "-c", noted], capture_output=True, text=True, timeout=30)
    assert result.stdout == "after the signal: SIGTERM\ncheck_stop: SIGTERM\n", result.stdout + result.stderr
