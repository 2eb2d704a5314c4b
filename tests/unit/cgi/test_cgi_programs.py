"""The CGI programs run the way Apache runs them: a process with the CGI variables in its environment and the
request body on stdin (course section 2 item 8, and the defects of section 4 items 1, 2, 15 and 17)."""

import os
import shutil
import subprocess
from urllib.parse import urlencode

import pytest

from tests.unit.cgi.helpers import SYSTEM_PYTHON, get, run_cgi

FORM = "application/x-www-form-urlencoded"


def post(installed, script, body: bytes, content_type=FORM, length=None, query=""):
    env = {"REQUEST_METHOD": "POST", "QUERY_STRING": query, "CONTENT_TYPE": content_type}
    env["CONTENT_LENGTH"] = str(len(body)) if length is None else length
    return run_cgi(installed["cgi_bin"] / script, env, body)


def test_echo_get_replies_echo_response_page(installed):
    result = get(installed, "echo_cgi.py", "message=Hello")
    assert result.status == 200
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Echo response</title>" in result.body
    assert "Message: Hello" in result.body
    assert result.body.startswith("<!DOCTYPE html>") and "<head>" in result.body


@pytest.mark.parametrize("query", ["", "message=", "other=1"], ids=["missing", "empty", "other-field"])
def test_echo_without_message_says_none_as_the_course_did(installed, query):
    result = get(installed, "echo_cgi.py", query)
    assert result.status == 200
    assert "Message: None" in result.body


def test_echo_takes_the_first_of_repeated_messages(installed):
    assert "Message: one" in get(installed, "echo_cgi.py", "message=one&message=two").body


def test_echo_post_reads_content_length_bytes_of_the_body(installed):
    result = post(installed, "echo_cgi.py", b"message=Hi+there%21")
    assert result.status == 200
    assert "Message: Hi there!" in result.body


def test_echo_post_reads_no_more_than_content_length(installed):
    result = post(installed, "echo_cgi.py", b"message=HelloEXTRA", length="13")
    assert "Message: Hello<" in result.body


def test_echo_post_without_length_reads_to_eof(installed):
    env = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": FORM}  # how Apache passes a chunked body
    assert "Message: chunked" in run_cgi(installed["cgi_bin"] / "echo_cgi.py", env, b"message=chunked").body


@pytest.mark.parametrize("script", ["echo_cgi.py", "cgi_test.py"])
def test_html_in_the_message_comes_back_escaped(installed, script):
    payload = '<script>alert("x")</script><b>x</b>'
    for result in (
        get(installed, script, urlencode({"message": payload})),
        post(installed, script, urlencode({"message": payload}).encode()),
    ):
        assert "<script>" not in result.body and "<b>" not in result.body
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in result.body


def test_a_body_over_64_kib_is_refused_with_413(installed):
    result = post(installed, "echo_cgi.py", b"message=" + b"x" * 100_000)
    assert result.status == 413
    assert "413 Content Too Large" in result.body or "413 Request Entity Too Large" in result.body
    assert "Traceback" not in result.body + result.stderr


def test_a_declared_length_over_the_limit_is_refused_without_reading(installed):
    result = post(installed, "echo_cgi.py", b"", length=str(10**9))
    assert result.status == 413


@pytest.mark.parametrize(
    ("length", "status"), [("abc", 400), ("-1", 400), ("50", 400)], ids=["not-a-number", "negative", "short-body"]
)
def test_bad_content_length_is_a_400(installed, length, status):
    result = post(installed, "echo_cgi.py", b"message=Hi", length=length)
    assert result.status == status
    assert "Traceback" not in result.body


def test_a_multipart_post_is_refused_with_415(installed):
    result = post(installed, "echo_cgi.py", b"--x--", content_type="multipart/form-data; boundary=x")
    assert result.status == 415


def test_other_methods_get_405_with_allow(installed):
    result = run_cgi(installed["cgi_bin"] / "echo_cgi.py", {"REQUEST_METHOD": "DELETE"})
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD, POST"


def test_too_many_fields_is_a_400(installed):
    assert get(installed, "echo_cgi.py", "&".join(f"f{i}=1" for i in range(500))).status == 400


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("message=%zz%", "Message: %zz%"),  # malformed escapes stay literal
        ("message=caf%C3%A9", "Message: café"),
        ("message=%FF%FEok", "Message: \ufffd\ufffdok"),  # invalid UTF-8 is replaced, not a 500
    ],
)
def test_malformed_input_is_handled_not_a_500(installed, query, shown):
    result = get(installed, "echo_cgi.py", query)
    assert result.status == 200
    assert shown in result.body


def test_raw_non_utf8_bytes_in_the_query_string_are_replaced(installed):
    env = {"REQUEST_METHOD": "GET", "QUERY_STRING": os.fsdecode(b"message=\xff\xfeok")}
    result = run_cgi(installed["cgi_bin"] / "echo_cgi.py", env)
    assert result.status == 200
    assert "Message: \ufffd\ufffdok" in result.body


def test_a_failure_gives_a_generic_500_and_the_traceback_goes_to_stderr(installed, tmp_path):
    # stdin open for writing only: reading the body fails with EBADF, an error no handler expects
    unreadable = os.open(tmp_path / "write-only", os.O_WRONLY | os.O_CREAT)
    try:
        env = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": FORM, "CONTENT_LENGTH": "10"}
        result = run_cgi(installed["cgi_bin"] / "echo_cgi.py", env, unreadable)
    finally:
        os.close(unreadable)
    assert result.status == 500
    assert "Traceback" not in result.body and "Bad file descriptor" not in result.body
    assert "Traceback" in result.stderr and "Bad file descriptor" in result.stderr


def test_diagnostic_lists_cwd_argv_form_fields_and_cgi_variables(installed):
    result = get(installed, "cgi_test.py", "message=Hello", SERVER_NAME="lab", REMOTE_ADDR="127.0.0.1")
    assert result.status == 200
    assert "<title>CGI diagnostic</title>" in result.body
    assert f"<p>{installed['cgi_bin']}</p>" in result.body  # the working directory
    assert f"<li>{installed['cgi_bin'] / 'cgi_test.py'}</li>" in result.body  # argv
    assert "<tr><th>message</th><td>Hello</td></tr>" in result.body
    for name in ("REQUEST_METHOD", "QUERY_STRING", "SERVER_NAME", "REMOTE_ADDR", "GATEWAY_INTERFACE"):
        assert f"<th>{name}</th>" in result.body


def test_diagnostic_shows_no_secret_from_the_environment(installed):
    secrets = {
        "HTTP_COOKIE": "sessionid=hunter2",
        "HTTP_AUTHORIZATION": "Basic aHVudGVyMg== hunter2",
        "HTTP_PROXY_AUTHORIZATION": "hunter2",
        "HTTP_X_API_KEY": "hunter2",
        "HTTP_X_CSRFTOKEN": "hunter2",
        "HTTP_PROXY": "http://hunter2",
        "DATABASE_PASSWORD": "hunter2",
        "DJANGO_SECRET_KEY": "hunter2",
        "AWS_SECRET_ACCESS_KEY": "hunter2",
        "SERVER_API_TOKEN": "hunter2",
        "HOME": "/home/hunter2",
    }
    result = get(installed, "cgi_test.py", "message=Hello", HTTP_USER_AGENT="curl/8", **secrets)
    assert result.status == 200
    assert "hunter2" not in result.body
    assert "<th>HTTP_USER_AGENT</th><td>curl/8</td>" in result.body
    assert "other environment variables are not shown" in result.body


def test_diagnostic_escapes_headers_and_arguments(installed):
    script = installed["cgi_bin"] / "cgi_test.py"
    env = {"REQUEST_METHOD": "GET", "QUERY_STRING": "", "HTTP_USER_AGENT": "<img src=x onerror=alert(1)>"}
    proc = subprocess.run([script, "<svg onload=alert(1)>"], env=env, capture_output=True, timeout=30, check=True)
    body = proc.stdout.decode()
    assert "<img" not in body and "<svg" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "&lt;svg onload=alert(1)&gt;" in body


def test_diagnostic_keeps_blank_fields(installed):
    assert "<tr><th>message</th><td></td></tr>" in get(installed, "cgi_test.py", "message=").body


def test_healthz_says_ok(installed):
    result = get(installed, "healthz.py")
    assert (result.status, result.body) == (200, "ok\n")
    assert result.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs /usr/bin/python3 without stacklab_cgi")
def test_a_script_whose_interpreter_lacks_the_package_answers_500_and_says_why(installed):
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import stacklab_cgi"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the system python3 can import stacklab_cgi here")
    script = installed["cgi_bin"] / "echo_cgi.py"
    unpackaged = script.with_name("bare_echo.py")
    shutil.copy(script, unpackaged)
    unpackaged.write_text(f"#!{SYSTEM_PYTHON}\n" + script.read_text().partition("\n")[2])
    result = run_cgi(unpackaged, {"REQUEST_METHOD": "GET", "QUERY_STRING": "message=Hi"})
    assert result.status == 500
    assert "Traceback" not in result.body
    assert "install with stacklab-cgi-install" in result.stderr


def test_module_runs_with_python_m(installed):
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "stacklab_cgi.echo"],
        env={**os.environ, "REQUEST_METHOD": "GET", "QUERY_STRING": "message=Hi"},
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert b"Message: Hi" in proc.stdout
