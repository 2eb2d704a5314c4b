"""The lab's own socket servers (services/echo, services/chat) pass their exercises, with the prefix they are
started with: the grader and the lab agree on what the course asked for."""

import pytest
from stacklab_grading import engine
from stacklab_grading.exercises import EXERCISES

from tests.unit.grading.helpers import assert_passes
from tests.unit.servers import free_port

PREFIX = "lab-student"
SERVERS = {
    "echo": "stacklab-echo-server",
    "recho": "stacklab-recho-server",
    "select_echo": "stacklab-echo-select",
    "chat": "stacklab-chat-server",
}
RUNS = 3


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_the_lab_server_passes_its_exercise(name, start_server):
    port = free_port()
    start_server([SERVERS[name], "--host", "127.0.0.1", "--port", str(port), "--prefix", PREFIX], port)
    assert_passes(EXERCISES[name], port, PREFIX, RUNS, wait=2.0)


def test_a_lab_server_with_another_prefix_fails_on_it(start_server):
    """--prefix is what every expectation uses: the lab's server started as uw-student fails for alice."""
    port = free_port()
    start_server(["stacklab-echo-server", "--host", "127.0.0.1", "--port", str(port)], port)
    results = engine.run(EXERCISES["echo"], engine.Context("127.0.0.1", port, "alice", wait=2.0))
    assert results[0].failure.hint == "wrong-prefix"
    assert "'uw-student' instead of 'alice'" in results[0].failure.help
