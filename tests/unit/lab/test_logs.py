"""stacklab_core.logs: the one access-log format (its parser, the hand-written servers' lines, gunicorn's format in
every app's conf), the request id, and what `./run logs` and `fab logs` read for a catalog name (the compose stage
and the VM suite check the real logs: tests/health/test_logs.py)."""

import ast
from pathlib import Path

import pytest
from stacklab_core import catalog, logs

ROOT = Path(__file__).parents[3]
GUNICORN_APPS = [s.stack for s in catalog.SERVICES.values() if s.gunicorn]
LINES = {  # one real line of each server (nginx, Apache, gunicorn, stacklab_www), request line with a query
    "nginx": '172.18.0.1 - - [07/Dec/2026:22:40:01 +0000] "GET /detail/id3?x=1 HTTP/1.1" 200 2351 "-" '
    '"python-requests/2.32.3" ms=4 rid=3f0c6a8e2b7d4e1f9a0b1c2d3e4f5a6b',
    "apache": '172.18.0.1 - - [07/Dec/2026:22:40:02 +0000] "GET /cgi-bin/echo_cgi.py?message=a%20b HTTP/1.1" 200 '
    '812 "http://127.0.0.1:8083/echo_cgi.html" "curl/8.14.1" ms=37 rid=aVW3kn8AAQEAABsFLbkAAAAB',
    "gunicorn": 'flask-1  | 172.18.0.4 - - [07/Dec/2026:22:40:01 +0000] "GET /detail/id3?x=1 HTTP/1.1" 200 2351 "-" '
    '"python-requests/2.32.3" ms=3 rid=3f0c6a8e2b7d4e1f9a0b1c2d3e4f5a6b',
    "gunicorn-unix-socket": "Mon 2026-12-07 22:40:01 UTC vm stacklab-flask.service[901]:  - - [07/Dec/2026:22:40:01 "
    '+0000] "GET /detail/id3?x=1 HTTP/1.1" 200 2351 "-" "python-requests/2.32.3" ms=3 rid=3f0c6a8e2b7d4e1f9a0b1c2d3e4f',
}


@pytest.mark.parametrize("server", LINES)
def test_a_line_of_each_server_parses(server):
    fields = logs.parse_access(LINES[server])
    assert fields is not None
    assert fields["method"] == "GET" and fields["protocol"] == "HTTP/1.1"
    assert fields["path"].startswith("/") and "?" in fields["path"]
    assert fields["status"] == "200" and int(fields["bytes"]) > 0 and int(fields["ms"]) >= 0
    assert len(fields["rid"]) >= 16


def test_the_hand_written_servers_line_parses_with_quotes_escaped():
    headers = {"user-agent": 'odd "agent"', "referer": "http://x/"}
    line = logs.access_line("127.0.0.1", 'GET /a"b HTTP/1.0', 404, 17, headers, 2, "r" * 16)
    fields = logs.parse_access(line)
    assert fields["path"] == '/a\\"b' and fields["agent"] == 'odd \\"agent\\"' and fields["referer"] == "http://x/"
    assert (fields["status"], fields["bytes"], fields["ms"], fields["rid"]) == ("404", "17", "2", "r" * 16)


def test_a_line_without_the_two_fields_does_not_parse():
    combined = '1.2.3.4 - - [07/Dec/2026:22:40:01 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"'
    assert logs.parse_access(combined) is None


@pytest.mark.parametrize(
    "sent, kept",
    [("0123456789abcdef", True), ("A-b-C-d-E-f-G-h-I-j", True), ("short", False), ("x" * 65, False),
     ("0123456789abcdef; rm", False), ("0123456789abcdef\n", False), ("", False), (None, False)],
)  # fmt: skip
def test_a_sane_client_request_id_is_kept_anything_else_replaced(sent, kept):
    rid = logs.request_id(sent)
    assert (rid == sent) is kept
    assert logs.REQUEST_ID.fullmatch(rid)


def test_nginx_map_and_python_agree_on_a_sane_request_id():
    conf = (ROOT / "ansible/roles/nginx/templates/stacklab-log.conf").read_text()
    assert f'"~^{logs.REQUEST_ID.pattern}$" $http_x_request_id;' in conf


@pytest.mark.parametrize("app", GUNICORN_APPS)
def test_every_gunicorn_app_logs_the_lab_format(app):
    """Each app's conf (its own package, without stacklab-core) carries the one format."""
    tree = ast.parse((ROOT / "services" / app / "conf" / "gunicorn.conf.py").read_text())
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "access_log_format"
    }
    assert values == {"access_log_format": logs.GUNICORN_FORMAT}


@pytest.mark.parametrize(
    "args, services",
    [(["flask"], ["flask-nginx", "flask"]), (["chat"], ["chat"]), (["echo_select"], ["echo-select"]),
     (["echo-select"], ["echo-select"]), (["cgi", "django"], ["cgi", "django-nginx", "django"]),
     (["postgres"], ["postgres"]), ([], [])],
)  # fmt: skip
def test_compose_logs_maps_catalog_names_to_front_and_app(args, services):
    assert logs.compose_logs(args, terminal=True) == ["docker", "compose", "logs", *services]


def test_compose_logs_passes_its_options_on_and_no_escapes_into_a_pipe():
    argv = logs.compose_logs(["-f", "flask", "--since", "10m", "-n", "5", "-t"])
    assert argv == ["docker", "compose", "--ansi", "never", "logs", "--follow", "--timestamps", "--since", "10m",
                    "--tail", "5", "flask-nginx", "flask"]  # fmt: skip


def test_an_unknown_service_is_an_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown service 'flsk': one of echo, "):
        logs.compose_logs(["flsk"])


@pytest.mark.parametrize(
    "names, units",
    [(["flask"], ["stacklab-flask", "nginx"]), (["cgi"], ["apache2"]), (["chat", "wsgi"],
     ["stacklab-chat", "stacklab-wsgi", "nginx"]), (["stacklab-chat"], ["stacklab-chat"]), (["nginx"], ["nginx"])],
)  # fmt: skip
def test_journal_units_of_catalog_and_unit_names(names, units):
    assert logs.journal_units(names) == units


def test_journal_units_default_to_every_unit_of_the_lab_once():
    units = logs.journal_units([])
    assert len(units) == len(set(units)) and {"nginx", "apache2", "stacklab-echo", "stacklab-lab"} <= set(units)


def test_journal_units_refuse_what_is_not_a_name():
    with pytest.raises(ValueError):
        logs.journal_units(["nginx; id"])


def test_journalctl_command_line():
    assert logs.journalctl(["stacklab-chat", "nginx"], follow=True, since="-5min", lines=20) == [
        "journalctl", "--no-pager", "--output", "with-unit", "--quiet", "--unit", "stacklab-chat", "--unit", "nginx",
        "--since", "-5min", "--lines", "20", "--follow"]  # fmt: skip
