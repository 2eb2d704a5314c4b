"""Fixtures of the chat tests: a chat server started on a free port (helpers: tests/unit/chat/helpers.py)."""

import pytest

from tests.unit.chat.helpers import PREFIX
from tests.unit.servers import free_port


@pytest.fixture
def start_chat(start_server):
    """start_chat(**env) -> a running chat server, its port given through CHAT_PORT, PREFIX set."""

    def start(**env: str):
        port = free_port()
        return start_server(["stacklab-chat-server"], port, env={"ECHO_PREFIX": PREFIX, "CHAT_PORT": str(port), **env})

    return start
