"""The lab's own HTTP servers (services/www: hello_www, echo_www, ws30) pass their exercises, with the prefix they
are started with; ws30 serves the exercise's fixture document root (its print_time.py is the lab's allow-listed
one, which prints the same two lines)."""

import pytest
from stacklab_grading import engine
from stacklab_grading.exercises import EXERCISES
from stacklab_grading.exercises.ws30 import write_docroot

from tests.unit.grading.helpers import assert_passes
from tests.unit.servers import free_port

PREFIX = "lab-student"
SERVERS = {"hello_www": "stacklab-hello-www", "echo_www": "stacklab-echo-www", "ws30": "stacklab-ws30"}
RUNS = 3


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_the_lab_www_server_passes_its_exercise(name, start_server, tmp_path):
    port = free_port()
    argv = [SERVERS[name], "--host", "127.0.0.1", "--port", str(port), "--prefix", PREFIX]
    if name == "ws30":
        argv += ["--root", str(write_docroot(tmp_path / "docroot"))]
    start_server(argv, port)
    assert_passes(EXERCISES[name], port, PREFIX, RUNS, wait=2.0)


def test_the_lab_hello_www_started_for_another_student_fails_on_the_name(start_server):
    """The page must name the student graded: the lab's hello_www started as uw-student fails for alice."""
    port = free_port()
    start_server(["stacklab-hello-www", "--host", "127.0.0.1", "--port", str(port)], port)
    results = engine.run(EXERCISES["hello_www"], engine.Context("127.0.0.1", port, "alice", wait=2.0))
    assert [r.check.name for r in results if r.status == "fail"] == ["names-prefix"]
    assert results[3].failure.hint == "hello-no-prefix"
