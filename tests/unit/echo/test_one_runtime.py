"""One server runtime: the seven course servers (echo, recho, select echo, chat, hello_www, echo_www, ws30) take
stop signals, the interpreter's wake-up byte and systemd's listener from stacklab_core.runtime alone. When
stacklab_www had copies of its own, the last stop-signal fix had to land twice (98e76a6, edd7511, 82c83bf)."""

from pathlib import Path

import pytest
from stacklab_core import runtime

ROOT = Path(__file__).parents[3]
PACKAGES = ["services/echo/src", "services/chat/src", "services/www/src"]
# What only the runtime may spell: handlers, the wake-up byte, the socket pair it writes to, socket activation.
RUNTIME_ONLY = ["signal.signal(", "set_wakeup_fd(", "socketpair(", "LISTEN_FDS", "LISTEN_PID"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_server_package_handles_signals_or_systemds_socket_itself(package):
    copies = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for word in RUNTIME_ONLY
        if word in path.read_text()
    ]
    assert not copies, "use stacklab_core.runtime instead: " + ", ".join(copies)


def test_the_runtime_has_them():
    source = Path(runtime.__file__).read_text()
    assert all(word in source for word in RUNTIME_ONLY)
