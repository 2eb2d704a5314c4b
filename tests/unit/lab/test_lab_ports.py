"""The port plan: stack.env parsing, defaults, and the environment overriding the file."""

from pathlib import Path

import pytest
from stacklab_lab import ports

STACK_ENV = Path(__file__).parents[3] / "stack.env"


def test_parse_skips_comments_and_blank_lines():
    text = "# the plan\n\nECHO_PORT=50000\n  CHAT_PORT = 50004  \nECHO_PREFIX=uw-student\n"
    assert ports.parse(text) == {"ECHO_PORT": "50000", "CHAT_PORT": "50004", "ECHO_PREFIX": "uw-student"}


def test_parse_refuses_a_line_without_equals():
    with pytest.raises(ValueError, match=r"plan.env:2: expected KEY=VALUE, got 'ECHO_PORT 50000'"):
        ports.parse("A=1\nECHO_PORT 50000\n", "plan.env")


def test_the_repository_stack_env_matches_the_defaults():
    assert ports.load(STACK_ENV) == ports.DEFAULTS


def test_a_file_overrides_the_defaults(tmp_path):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\nEXTRA_PORT=7000\n")
    plan = ports.load(tmp_path / "stack.env")
    assert plan["ECHO_PORT"] == "6000"
    assert plan["EXTRA_PORT"] == "7000"
    assert plan["CHAT_PORT"] == "50004"


def test_explicit_path_ignores_the_environment(tmp_path, monkeypatch):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\n")
    monkeypatch.setenv("ECHO_PORT", "9999")
    assert ports.load(tmp_path / "stack.env")["ECHO_PORT"] == "6000"


def test_environment_overrides_the_found_file(tmp_path, monkeypatch):
    (tmp_path / "stack.env").write_text("ECHO_PORT=6000\nCHAT_PORT=6004\n")
    monkeypatch.setenv("STACKLAB_ENV_FILE", str(tmp_path / "stack.env"))
    monkeypatch.setenv("ECHO_PORT", "9999")
    monkeypatch.setenv("ECHO_PREFIX", "jon-jacky")
    plan = ports.load()
    assert (plan["ECHO_PORT"], plan["CHAT_PORT"], plan["ECHO_PREFIX"]) == ("9999", "6004", "jon-jacky")


def test_without_a_file_the_environment_and_defaults_serve(tmp_path, monkeypatch):
    monkeypatch.delenv("STACKLAB_ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no stack.env above a pytest tmp dir
    monkeypatch.setenv("FLASK_PORT", "5001")
    plan = ports.load()
    assert plan["FLASK_PORT"] == "5001"
    assert plan["DJANGO_PORT"] == "8000"


def test_port_refuses_a_non_number():
    with pytest.raises(ValueError, match="ECHO_PORT is 'x', not a port number"):
        ports.port({"ECHO_PORT": "x"}, "ECHO_PORT")
    assert ports.port({"ECHO_PORT": "50000"}, "ECHO_PORT") == 50000
