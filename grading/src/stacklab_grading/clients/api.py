"""Week 5, the JSON web-API clients (course.md 1.10): `json_time.py` (GET a time service's JSON, pretty-print it
and its `datetime` key) and the assignment's second downloader (`webclient2` of `download.py`: list a repository's
blobs through the GitHub API v2, keep the names that start `winter_2012` and end `.py`, download each). Both
services are dead; the recording server stands in for them on loopback, in their shapes:

    GET BASE/time.json                                  {"datetime": ..., "hour": ..., ...}
    GET BASE/blob/all/jon-jacky/uw_python/gh-pages      {"blobs": {name: sha, ...}}
    GET BASE/blob/show/jon-jacky/uw_python/SHA          the blob's bytes

The student's program is run as `COMMAND URL` (json_time: the endpoint's URL) or `COMMAND BASE N` (github_api:
the API's base URL, then how many files), in an empty directory. A client that meets a 404 or malformed JSON
must say so and exit non-zero, not with a traceback. The 2012 download.py printed N even when fewer were
downloaded [bug]."""

import hashlib
import json
import posixpath
from collections.abc import Callable
from pathlib import Path

from ..engine import Exercise, Failure
from .common import BUDGET
from .session import ClientContext, Conn, Recorder, Session, until

TIME = {
    "tz": "UTC",
    "hour": 22,
    "datetime": "Fri, 13 Jan 2012 22:05:41 +0000",
    "second": 41,
    "error": False,
    "minute": 5,
}
REPO = "jon-jacky/uw_python"
LIST = f"/blob/all/{REPO}/gh-pages"
SHOW = f"/blob/show/{REPO}/"
BLOBS = {  # the repository's files; those to download start winter_2012 and end .py
    "README.md": b"# uw_python\n",
    "docs/winter_2012/notes.py": b"# winter_2012 inside the name, not at its start\n",
    "fall_2011/week01/echo_client.py": b"# fall 2011\n",
    "winter_2012/index.html": b"<html><body>the course page</body></html>\n",
    "winter_2012/week01/echo_server.py": b"# week 1: the echo server\nimport socket\n",
    "winter_2012/week03/notes.py.txt": b"notes, not a Python file\n",
    "winter_2012/week04/chat_client.py": "# week 4: the chat client, caf\u00e9 edition\n".encode(),
    "winter_2012/week05/download.py": b"# week 5: the downloader\nimport urllib.request\n",
}
SHA = {name: hashlib.sha1(data).hexdigest() for name, data in BLOBS.items()}  # noqa: S324 - git's blob ids
WANTED = {name for name in BLOBS if name.startswith("winter_2012") and name.endswith(".py")}
N = 2  # the files asked for in the first run; the second asks for more than there are
BROKEN = b'{"datetime": "Fri, 13 Jan 2012 22:05'  # malformed: cut off


def http_server(answer: Callable[[str], tuple[str, bytes]]) -> Callable[[Recorder, Conn], None]:
    """One HTTP/1.0 exchange per connection: `METHOD PATH` is recorded, then answer(path)'s status and body."""

    def handle(recorder: Recorder, conn: Conn) -> None:
        head = b""
        while b"\r\n\r\n" not in head and b"\n\n" not in head:
            if not (data := conn.recv()):
                return
            head += data
        words = head.split(b"\n", 1)[0].decode(errors="replace").split()
        conn.request = " ".join(words[:2])
        status, body = answer(words[1] if len(words) > 1 else "")
        kind = "application/json" if body[:1] in b"{[" else "application/octet-stream"
        conn.send(f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        conn.close_server_side()
        while conn.recv():
            pass

    return handle


def time_answer(path: str) -> tuple[str, bytes]:
    return ("200 OK", json.dumps(TIME).encode()) if path == "/time.json" else ("404 Not Found", b"not found\n")


def github_answer(path: str) -> tuple[str, bytes]:
    if path == LIST:
        return "200 OK", json.dumps({"blobs": SHA}).encode()
    by_sha = {sha: BLOBS[name] for name, sha in SHA.items()}
    if path.startswith(SHOW) and path[len(SHOW) :] in by_sha:
        return "200 OK", by_sha[path[len(SHOW) :]]
    return "404 Not Found", b'{"error": "not found"}'


def not_found(path: str) -> tuple[str, bytes]:
    return "404 Not Found", b'{"error": "not found"}'


def malformed(path: str) -> tuple[str, bytes]:
    return "200 OK", BROKEN


def collect(session: Session, directory: Path) -> None:
    session.facts["files"] = {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }
    until(lambda: all(hasattr(c, "request") or c.client_closed for c in session.recorder.conns), 0.5)
    session.facts["requests"] = [getattr(c, "request", "") for c in session.recorder.conns]


def run_to_exit(ctx: ClientContext, session: Session) -> None:
    student, conns = session.student, session.recorder.conns
    # Its exit closes its sockets: let the recorder log each close first, so the transcript reads in the order the
    # client did things (under load the exit was seen before a close, or the close never made the transcript).
    if until(lambda: student.proc.poll() is not None, 2 * ctx.wait):
        until(lambda: all(conn.client_closed or conn.ended for conn in conns), 1.0)
    session.facts["status"] = student.exits(0)


def scenario(name: str):
    """A scenario of its own name (sessions are shared by scenario name): run the client until it exits."""

    def run(ctx: ClientContext, session: Session) -> None:
        run_to_exit(ctx, session)

    run.__name__ = name
    return run


def session(ctx: ClientContext, name: str, answer, args: Callable[[str], list[str]]) -> Session:
    return ctx.session(scenario(name), http_server(answer), lambda port: args(f"http://127.0.0.1:{port}"), collect)


def exits_cleanly(session: Session) -> None:
    status = session.facts["status"]
    if status is None:
        raise Failure("the client kept running", "api-no-exit")
    if status != 0:
        raise Failure(f"the client exited with status {status}", "client-crashed", status=status)


def reports_error(session: Session, what: str, hint: str) -> str:
    """The client said what went wrong and exited non-zero: no traceback, no silent success."""
    status, err = session.facts["status"], session.student.err.decode(errors="replace")
    said = (session.student.out + session.student.err).decode(errors="replace").strip()
    if status is None:
        raise Failure(f"after {what}, the client kept running", hint, what=what)
    if "Traceback (most recent call last)" in err:
        raise Failure(f"after {what}, the client stopped with a traceback", hint, what=what)
    if status == 0 or not said:
        raise Failure(f"after {what}, the client exited with status {status} and said {said[:80]!r}", hint, what=what)
    return f"said {said.splitlines()[-1][:80]!r} and exited with status {status}"


# --- json_time ------------------------------------------------------------------------------------------------

json_time_client = Exercise("json_time", "5", 80, "GET the time service's JSON, print it pretty and its datetime")


def time_run(ctx: ClientContext, name: str = "time", answer=time_answer) -> Session:
    return session(ctx, name, answer, lambda base: [f"{base}/time.json"])


@json_time_client.check("GETs the URL it is given, once", budget=BUDGET)
def fetches_time(ctx: ClientContext) -> str:
    requests = time_run(ctx).facts["requests"]
    if "GET /time.json" not in requests:
        raise Failure(f"no GET /time.json (it asked for {requests})", "json-no-fetch")
    if len(requests) > 1:
        raise Failure(f"{len(requests)} requests: {requests}", "api-extra-requests", count=len(requests))
    return "GET /time.json, once"


@json_time_client.check("prints the JSON document pretty (indented)", needs=("fetches-time",), budget=BUDGET)
def prints_pretty(ctx: ClientContext) -> str:
    session = time_run(ctx)
    exits_cleanly(session)
    out = session.student.out.decode(errors="replace")
    start, end = out.find("{"), out.rfind("}")
    try:
        document = json.loads(out[start : end + 1]) if 0 <= start < end else None
    except ValueError:
        document = None
    if document != TIME or "\n" not in out[start:end]:
        raise Failure("the document was not printed as indented JSON", "json-not-pretty")
    return f"printed the document over {out[start:end].count(chr(10)) + 1} lines"


@json_time_client.check("prints its datetime key on a line of its own", needs=("prints-pretty",), budget=BUDGET)
def prints_datetime(ctx: ClientContext) -> str:
    lines = time_run(ctx).student.out.decode(errors="replace").splitlines()
    if TIME["datetime"] not in (line.strip() for line in lines):
        raise Failure(f"no line {TIME['datetime']!r}", "json-no-datetime", value=TIME["datetime"])
    return f"printed {TIME['datetime']!r}"


@json_time_client.check("a 404 says so and exits non-zero", needs=("prints-datetime",), budget=BUDGET)
def time_404(ctx: ClientContext) -> str:
    return reports_error(time_run(ctx, "time_404", not_found), "a 404", "api-http-error")


@json_time_client.check("malformed JSON says so and exits non-zero", needs=("prints-datetime",), budget=BUDGET)
def time_malformed(ctx: ClientContext) -> str:
    return reports_error(time_run(ctx, "time_malformed", malformed), "malformed JSON", "api-malformed")


# --- github_api -----------------------------------------------------------------------------------------------

github_api_client = Exercise("github_api", "5", 80, "download the repository's winter_2012 .py blobs: COMMAND BASE N")


def github_run(ctx: ClientContext, n: int, name: str = "github", answer=github_answer) -> Session:
    return session(ctx, name, answer, lambda base: [base, str(n)])


@github_api_client.check(f"lists the blobs: GET BASE{LIST}", budget=BUDGET)
def lists_blobs(ctx: ClientContext) -> str:
    requests = github_run(ctx, N).facts["requests"]
    if f"GET {LIST}" not in requests:
        raise Failure(f"no GET {LIST} (it asked for {requests})", "gh-no-list", path=LIST)
    return f"GET {LIST}"


@github_api_client.check(
    "asks only for blobs named winter_2012....py, by their sha", needs=("lists-blobs",), budget=BUDGET
)
def filters(ctx: ClientContext) -> str:
    for request in github_run(ctx, N).facts["requests"]:
        sha = request.removeprefix(f"GET {SHOW}")
        name = next((name for name, s in SHA.items() if s == sha), None)
        if request == f"GET {LIST}" or name in WANTED:
            continue
        if name is None:
            raise Failure(f"the client asked for {request}", "gh-other-request", request=request)
        hint = "gh-filter-prefix" if name.endswith(".py") else "gh-filter-suffix"
        raise Failure(f"the client downloaded {name}", hint, name=name)
    return "asked for winter_2012 .py blobs only"


@github_api_client.check("one GET per blob, no extra", needs=("filters",), budget=BUDGET)
def one_get_each(ctx: ClientContext) -> str:
    requests = github_run(ctx, N).facts["requests"]
    if len(requests) != len(set(requests)) or requests.count(f"GET {LIST}") != 1:
        raise Failure(f"{len(requests)} requests: {requests}", "api-extra-requests", count=len(requests))
    return f"{len(requests)} requests: the list, then {len(requests) - 1} blobs"


@github_api_client.check(f"saves {N} of them, whole, under their basenames", needs=("one-get-each",), budget=BUDGET)
def saves_blobs(ctx: ClientContext) -> str:
    session = github_run(ctx, N)
    exits_cleanly(session)
    return saved(session, N)


@github_api_client.check(
    "asked for more than there are, saves them all and prints how many", needs=("saves-blobs",), budget=BUDGET
)
def counts_blobs(ctx: ClientContext) -> str:
    session = github_run(ctx, 10, "github_all")
    saved(session, len(WANTED))
    words = session.student.out.decode(errors="replace").split()
    printed = words[-1] if words else ""
    if printed != str(len(WANTED)):
        raise Failure(f"printed {printed!r} for {len(WANTED)} files", "gh-count", printed=printed, count=len(WANTED))
    return f"saved all {len(WANTED)} files and printed {len(WANTED)}"


@github_api_client.check("a 404 says so and exits non-zero", needs=("counts-blobs",), budget=BUDGET)
def github_404(ctx: ClientContext) -> str:
    return reports_error(github_run(ctx, N, "github_404", not_found), "a 404", "api-http-error")


@github_api_client.check("malformed JSON says so and exits non-zero", needs=("counts-blobs",), budget=BUDGET)
def github_malformed(ctx: ClientContext) -> str:
    return reports_error(github_run(ctx, N, "github_malformed", malformed), "malformed JSON", "api-malformed")


def saved(session: Session, n: int) -> str:
    files = session.facts["files"]
    served = {posixpath.basename(name): BLOBS[name] for name in WANTED}
    for name, data in files.items():
        if name not in served:
            raise Failure(f"a file was saved as {name!r}", "gh-file-name", name=name)
        if data != served[name]:
            raise Failure(f"{name} differs", "gh-content", name=name, expected=served[name], got=data)
    if len(files) != n:
        hint = "gh-no-limit" if len(files) > n else "gh-missing"
        raise Failure(f"{len(files)} files saved for N = {n}", hint, count=len(files), n=n)
    return f"saved {', '.join(sorted(files))}"
