"""Week 4-5, echo_www (course.md 1.7): an HTML page saying `PREFIX: <request target>`: the raw target, slash,
query string and all, not URL-decoded (`GET /a/b?x=1` gives `PREFIX: /a/b?x=1`, as the course's solution did; the
task text's `PREFIX: hello`, without the slash, passes too).

Fixed from 2012 (course.md section 4, items 6, 11 and 15): the response is valid HTTP (no leading blank line), the
echoed target is HTML-escaped, and an empty or malformed request gets an answer (400 for the malformed one)
instead of killing the server. Like hello_www, it reads the whole head and does not let a silent client block.
"""

from ..engine import Context, Exercise, Failure
from . import http

echo_www = Exercise("echo_www", "4", 8082, "answer each HTTP request with a page saying 'PREFIX: <path>'")
SCRIPT = "/<script>alert(1)</script>"


def expect_echo(ctx: Context, response: http.Response, target: str, hint: str) -> None:
    text = response.text()
    if f"{ctx.prefix}: {target}" not in text and f"{ctx.prefix}: {target[1:]}" not in text:
        raise Failure(
            f"the page for GET {target} does not say '{ctx.prefix}: {target}'",
            hint,
            got=response.raw,
            prefix=ctx.prefix,
            target=target,
        )


@echo_www.check("answers GET /hello with a valid HTTP response, status 200")
def answers(ctx: Context) -> str:
    response = http.get_ok(ctx, "/hello")
    return f"200, {len(response.body):,}-byte body"


@echo_www.check("sends the page as text/html", needs=("answers",))
def html(ctx: Context) -> str:
    http.expect_html(http.get_ok(ctx, "/hello"), "/hello")
    return "Content-Type: text/html"


@echo_www.check("echoes the path: GET /hello says 'PREFIX: /hello'", needs=("answers",))
def echoes_path(ctx: Context) -> str:
    expect_echo(ctx, http.get_ok(ctx, "/hello"), "/hello", "echo-missing")
    return f"the page says {ctx.prefix}: /hello"


@echo_www.check("echoes the query string too, undecoded: GET /a/b?x=1", needs=("echoes-path",))
def keeps_query(ctx: Context) -> str:
    expect_echo(ctx, http.get_ok(ctx, "/a/b?x=1"), "/a/b?x=1", "echo-query-dropped")
    return f"the page says {ctx.prefix}: /a/b?x=1"


@echo_www.check("escapes the echoed path: a <script> comes back as text", needs=("echoes-path",))
def escapes(ctx: Context) -> str:
    response = http.get_ok(ctx, SCRIPT)
    if "<script" in response.text().lower():
        raise Failure(f"GET {SCRIPT} put a live <script> element in the page", "unescaped-echo", got=response.raw)
    if ctx.prefix not in response.text():
        raise Failure(
            f"the page for GET {SCRIPT} has no echo", "echo-missing", got=response.raw, prefix=ctx.prefix, target=SCRIPT
        )
    return "the <script> came back escaped"


@echo_www.check("answers HEAD with the headers only", needs=("answers",))
def head(ctx: Context) -> str:
    return http.head(ctx, "/hello")


@echo_www.check("survives a client that connects and closes without sending", needs=("answers",))
def empty_connection(ctx: Context) -> str:
    return http.empty_connection(ctx, "/hello")


@echo_www.check("answers a malformed request line with 400, and lives on", needs=("answers",))
def malformed(ctx: Context) -> str:
    return http.malformed(ctx, "/hello", strict=True)


@echo_www.check("reads the whole request, even split inside its request line", needs=("echoes-path",))
def split_request(ctx: Context) -> str:
    expect_echo(ctx, http.split_request(ctx, "/split-here", 8), "/split-here", "echo-missing")
    return "echoed /split-here sent in two segments"


@echo_www.check("answers a client while another sends nothing", needs=("answers",))
def silent_client(ctx: Context) -> str:
    http.silent_client(ctx, "/hello")
    return "answered B while A was silent"
