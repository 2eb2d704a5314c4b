"""Week 4, hello_www (course.md 1.6): every request, whatever its method and path, gets one HTML page saying
"Hello, world!" and naming the student (PREFIX), as the lab text asked (the instructor's sample omitted the name).

Graded as valid HTTP (course.md section 4, item 6): the 2012 server's leading blank line and its `Content-Type`
header without a colon fail. It may ignore the request's content, but it must read the whole request head before
answering (a reply sent while the client is still sending can be lost to a reset), must live through an empty or
malformed request (any answer to the latter will do: every request gets the page), and must not let a silent
client hold up the next one (browsers open connections they send nothing on).
"""

from ..engine import Context, Exercise, Failure
from . import http

hello_www = Exercise("hello_www", "4", 8081, "answer every HTTP request with a 'Hello, world!' page naming PREFIX")
HELLO = "Hello, world"


@hello_www.check("answers GET / with a valid HTTP response, status 200")
def answers(ctx: Context) -> str:
    response = http.get_ok(ctx, "/")
    return f"200, {len(response.body):,}-byte body"


@hello_www.check("sends the page as text/html", needs=("answers",))
def html(ctx: Context) -> str:
    http.expect_html(http.get_ok(ctx, "/"), "/")
    return "Content-Type: text/html"


@hello_www.check("says 'Hello, world!' for any method and path", needs=("answers",))
def hello(ctx: Context) -> str:
    for method, target in (("GET", "/"), ("GET", "/any/path?x=1"), ("POST", "/form")):
        response = http.request(ctx, target, method)
        if response.status != 200 or HELLO not in response.text():
            raise Failure(
                f"{method} {target}: status {response.status}, no {HELLO!r} in the page", "no-hello", got=response.raw
            )
    return "the page on GET /, GET /any/path?x=1 and POST /form"


@hello_www.check("names PREFIX (your GitHub name) on the page", needs=("hello",))
def names_prefix(ctx: Context) -> str:
    response = http.get_ok(ctx, "/")
    if ctx.prefix not in response.text():
        raise Failure(
            f"the page does not contain {ctx.prefix!r}", "hello-no-prefix", got=response.raw, prefix=ctx.prefix
        )
    return f"the page names {ctx.prefix}"


@hello_www.check("answers HEAD with the headers only", needs=("answers",))
def head(ctx: Context) -> str:
    return http.head(ctx, "/")


@hello_www.check("survives a client that connects and closes without sending", needs=("answers",))
def empty_connection(ctx: Context) -> str:
    return http.empty_connection(ctx, "/")


@hello_www.check("survives a malformed request line", needs=("answers",))
def malformed(ctx: Context) -> str:
    return http.malformed(ctx, "/", strict=False)


@hello_www.check("reads the whole request head, even split over two TCP segments", needs=("answers",))
def split_request(ctx: Context) -> str:
    http.split_request(ctx, "/", 9)
    return "answered once the request was complete"


@hello_www.check("answers a client while another sends nothing", needs=("answers",))
def silent_client(ctx: Context) -> str:
    http.silent_client(ctx, "/")
    return "answered B while A was silent"
