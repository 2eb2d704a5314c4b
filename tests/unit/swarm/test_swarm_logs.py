"""`./run swarm logs`'s argument mapping (stacklab_swarm.logs), without Docker: one `docker service logs` per swarm
service of a catalog name (the swarm stage runs the real thing)."""

import pytest
from stacklab_swarm import cli, logs

LOGS = ["docker", "service", "logs"]


@pytest.mark.parametrize(
    "args, commands",
    [(["flask"], [[*LOGS, "lab1_flask-nginx"], [*LOGS, "lab1_flask"]]),
     (["chat", "-f", "--since", "5m"], [[*LOGS, "--follow", "--since", "5m", "lab1_chat"]]),
     (["django", "-n", "10", "-t"], [[*LOGS, "--timestamps", "--tail", "10", "lab1_django-nginx"],
                                     [*LOGS, "--timestamps", "--tail", "10", "lab1_django"]])],
)  # fmt: skip
def test_a_catalog_name_gives_one_command_per_service(args, commands):
    assert logs.commands(args, "lab1") == commands


def test_no_name_gives_every_service_of_the_stack_once():
    services = [argv[-1] for argv in logs.commands([], "stacklab")]
    assert len(services) == len(set(services))
    assert {"stacklab_flask-nginx", "stacklab_flask", "stacklab_postgres", "stacklab_echo"} <= set(services)
    assert not {"stacklab_python", "stacklab_nginx", "stacklab_django-init"} & set(services)  # never long-running


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown service"):
        logs.commands(["nope"], "stacklab")


def test_the_command_line_runs_logs_and_says_so(capsys):
    with pytest.raises(SystemExit, match="swarm: unknown service 'nope'"):
        cli.main(["logs", "nope"])  # refused before any docker command
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "also: logs [SERVICE...]" in capsys.readouterr().out
