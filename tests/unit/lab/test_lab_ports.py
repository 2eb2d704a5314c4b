"""The port plan: stack.env parsing (the one KEY=VALUE reader), the file, and the environment overriding it."""

from pathlib import Path

import pytest
from stacklab_core import envfile, ports

STACK_ENV = Path(__file__).parents[3] / "stack.env"


def test_parse_skips_comments_and_blank_lines():
    text = "# the plan\n\nECHO_PORT=50000\n  CHAT_PORT = 50004  \nECHO_PREFIX=uw-student\n"
    assert envfile.parse(text) == {"ECHO_PORT": "50000", "CHAT_PORT": "50004", "ECHO_PREFIX": "uw-student"}


@pytest.mark.parametrize("line", ["ECHO_PORT 50000", "=50000"])
def test_parse_refuses_a_line_that_is_not_key_value(line):
    with pytest.raises(ValueError, match=rf"plan.env:2: expected KEY=VALUE, got '{line}'"):
        envfile.parse(f"A=1\n{line}\n", "plan.env")


def test_read_names_the_file_in_errors(tmp_path):
    (tmp_path / "RELEASE").write_text("STACKLAB_RELEASE=20250101T000000-abcd\nbroken\n")
    with pytest.raises(ValueError, match=r"RELEASE:2: expected KEY=VALUE"):
        envfile.read(tmp_path / "RELEASE")


def test_the_repository_plan_has_every_key_the_lab_needs():
    plan = ports.load(STACK_ENV)
    assert set(ports.plan_keys()) <= set(plan)
    assert all(ports.port(plan, key) for key in ports.plan_keys() if key.endswith("_PORT"))


def test_a_file_is_the_plan(tmp_path):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\nEXTRA_PORT=7000\n")
    assert ports.load(tmp_path / "stack.env") == {"ECHO_PORT": "6000", "EXTRA_PORT": "7000"}


def test_explicit_path_ignores_the_environment(tmp_path, monkeypatch):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\n")
    monkeypatch.setenv("ECHO_PORT", "9999")
    monkeypatch.setenv("CHAT_PORT", "9998")
    assert ports.load(tmp_path / "stack.env") == {"ECHO_PORT": "6000"}


def test_environment_overrides_the_found_file(tmp_path, monkeypatch):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\nCHAT_PORT=6004\nEXTRA_PORT=7000\n")
    monkeypatch.setenv("STACKLAB_ENV_FILE", str(tmp_path / "stack.env"))
    monkeypatch.setenv("ECHO_PORT", "9999")
    monkeypatch.setenv("ECHO_PREFIX", "jon-jacky")
    monkeypatch.setenv("EXTRA_PORT", "7001")  # a key of the file, though no service of the catalog uses it
    plan = ports.load()
    assert (plan["ECHO_PORT"], plan["CHAT_PORT"], plan["ECHO_PREFIX"], plan["EXTRA_PORT"]) == (
        "9999",
        "6004",
        "jon-jacky",
        "7001",
    )


def test_without_a_file_the_environment_is_the_plan(tmp_path, monkeypatch):
    """As in a container or under systemd: the plan arrives as env vars, only the lab's keys are taken."""
    monkeypatch.delenv("STACKLAB_ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no stack.env above a pytest tmp dir
    for key in ports.plan_keys():
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FLASK_PORT", "5001")
    monkeypatch.setenv("HOME_PORT", "1")  # not a key of the catalog
    assert ports.load() == {"FLASK_PORT": "5001"}


def test_port_refuses_a_non_number_and_a_missing_key():
    with pytest.raises(ValueError, match="ECHO_PORT is 'x', not a port number"):
        ports.port({"ECHO_PORT": "x"}, "ECHO_PORT")
    with pytest.raises(ValueError, match="port plan: no CHAT_PORT"):
        ports.port({"ECHO_PORT": "50000"}, "CHAT_PORT")
    assert ports.port({"ECHO_PORT": "50000"}, "ECHO_PORT") == 50000
