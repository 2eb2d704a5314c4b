"""`stacklab-webclient api` (course §1.10 json_time.py, github_api.py) against a local JSON endpoint."""

import json

from tests.unit.servers import free_port
from tests.unit.webclient.helpers import REPOS_DOCUMENT, TIME_DOCUMENT, run_client


def test_pretty_prints_the_document(api_server):
    result = run_client("api", f"{api_server}/time.json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == TIME_DOCUMENT
    assert '\n  "datetime": ' in result.stdout  # indented


def test_one_key_as_text(api_server):
    result = run_client("api", f"{api_server}/time.json", "--key", "datetime")
    assert result.returncode == 0, result.stderr
    assert result.stdout == TIME_DOCUMENT["datetime"] + "\n"


def test_repository_listing_key(api_server):
    """The GitHub v2 exercise: list a user's repositories from the `repositories` key."""
    result = run_client("api", f"{api_server}/repos/show/jon-jacky", "--key", "repositories")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == REPOS_DOCUMENT["repositories"]
    assert "ünïcode" in result.stdout


def test_missing_key_lists_the_keys(api_server):
    result = run_client("api", f"{api_server}/time.json", "--key", "nope")
    assert result.returncode == 1
    assert "no key 'nope'" in result.stderr and "datetime" in result.stderr


def test_key_of_a_list_is_an_error(api_server):
    result = run_client("api", f"{api_server}/list.json", "--key", "x")
    assert result.returncode == 1
    assert "JSON list" in result.stderr


def test_not_json(api_server):
    result = run_client("api", f"{api_server}/page.html")
    assert result.returncode == 2
    assert "not JSON (Content-Type text/html)" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_json(api_server):
    result = run_client("api", f"{api_server}/broken.json")
    assert result.returncode == 2
    assert "not JSON" in result.stderr


def test_http_errors(api_server):
    result = run_client("api", f"{api_server}/missing.json")
    assert result.returncode == 2
    assert "HTTP 404" in result.stderr
    result = run_client("api", f"{api_server}/error.json")
    assert result.returncode == 2
    assert "HTTP 500" in result.stderr


def test_unreachable_host():
    result = run_client("api", f"http://127.0.0.1:{free_port()}/time.json")
    assert result.returncode == 2
    assert "cannot reach" in result.stderr and "refused" in result.stderr
    assert "Traceback" not in result.stderr
