"""What the HTTP exercises share (hello_www, echo_www, ws30; course.md 1.6-1.8): one HTTP/1.0 request per
connection, its response parsed strictly, and the checks that read the same for the three servers.

A response must be valid HTTP as modern clients read it (course.md section 4, items 6 and 7): a status line
first (no leading blank line), CRLF line endings, `Name: value` headers, and a Content-Length equal to the body's
length. The reason phrase is free (ws30's `Okay` passes): clients ignore it.
"""

import re
from dataclasses import dataclass

from ..engine import Context, Failure
from ..wire import Peer

EARLY = 0.3  # seconds a server is given to answer a request it has only half received (it must not)
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?")
MALFORMED = b"GARBAGE\r\n\r\n"


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    raw: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def media_type(self) -> str:
        return self.header("content-type").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def head_of(target: str, method: str = "GET") -> bytes:
    return f"{method} {target} HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: stacklab-check\r\n\r\n".encode()


def complete(data: bytes) -> bool:
    """A whole response: its head and as many body bytes as its Content-Length says (else: wait for the close)."""
    head, found, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$", head)
    return bool(found and length and len(body) >= int(length[1]))


def read(peer: Peer, sent: bytes, head_only: bool = False) -> Response:
    """The response to `sent` (already sent), parsed; Failure with the hint of the first thing wrong in it."""
    reply = peer.until_closed("the response") if head_only else peer.receive_until(complete, "the response")
    data = reply.data
    if not data:
        if reply.ended != "timeout":  # until_closed calls a close "complete"
            how = "reset" if reply.ended == "reset" else "closed"
            raise Failure(f"the server {how} the connection without a response to {sent!r}", "closed-without-reply")
        raise Failure(f"no response to {sent!r}", "no-reply", waited=f"timed out after {reply.waited:.1f} s")
    return parse(data, head_only)


def parse(data: bytes, head_only: bool = False) -> Response:
    def fail(rationale: str, hint: str, **facts) -> Failure:
        return Failure(rationale, hint, got=data, **facts)

    if data[:1] in (b"\r", b"\n"):
        raise fail("the response begins with a blank line", "blank-before-status")
    first = data.split(b"\n", 1)[0].removesuffix(b"\r")
    status = STATUS_LINE.fullmatch(first)
    if not status:
        raise fail(f"the response begins with {first[:40]!r}, not a status line", "no-status-line")
    head, found, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not found or any(b"\n" in line for line in lines):
        raise fail("a line of the response head ends in a bare '\\n'", "bare-lf")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name.strip() or name != name.strip():
            raise fail(f"the header line {line[:60]!r} is not 'Name: value'", "header-no-colon", line=line[:60])
        headers[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
    response = Response(int(status[1]), headers, body, data)
    if head_only:
        return response
    if "content-length" not in headers:
        raise fail("the response has no Content-Length header", "no-content-length")
    length = headers["content-length"]
    if not length.isdigit() or int(length) != len(body):
        raise fail(
            f"Content-Length says {length}, the body has {len(body):,} bytes",
            "content-length-mismatch",
            said=length,
            size=len(body),
        )
    return response


def request(ctx: Context, target: str, method: str = "GET", name: str = "A") -> Response:
    peer = ctx.connect(name)
    sent = head_of(target, method)
    if not peer.send(sent):
        raise Failure(f"client {name} could not send its request", "closed-without-reply")
    return read(peer, sent)


def get_ok(ctx: Context, target: str, name: str = "A") -> Response:
    """GET `target`, expecting a valid 200 response."""
    response = request(ctx, target, name=name)
    if response.status != 200:
        raise Failure(
            f"GET {target} gave status {response.status}, not 200",
            "status-not-200",
            got=response.raw,
            target=target,
            status=response.status,
        )
    return response


def expect_html(response: Response, target: str) -> None:
    if response.media_type != "text/html":
        raise Failure(
            f"GET {target} came as {response.media_type or 'no type'!r}",
            "not-html",
            got=response.raw,
            type=response.header("content-type"),
        )


def head(ctx: Context, target: str) -> str:
    """HEAD `target`: the status and headers of a GET, and no body."""
    peer = ctx.connect("A")
    sent = head_of(target, "HEAD")
    peer.send(sent)
    response = read(peer, sent, head_only=True)
    if response.status != 200:
        raise Failure(
            f"HEAD {target} gave status {response.status}",
            "status-not-200",
            got=response.raw,
            target=f"{target} (HEAD)",
            status=response.status,
        )
    if response.body:
        raise Failure(f"HEAD {target} came with a {len(response.body):,}-byte body", "head-has-body", got=response.raw)
    return f"HEAD {target}: 200, headers only"


def empty_connection(ctx: Context, target: str) -> str:
    ctx.connect("A").close()
    try:
        get_ok(ctx, target, "B")
    except Failure as failure:
        raise Failure(f"after an empty connection: {failure.rationale}", "dies-on-empty") from None
    return "still serving after a connection that sent nothing"


def malformed(ctx: Context, target: str, strict: bool) -> str:
    """A request line that is not `METHOD target HTTP/1.x`: the server lives on (and, `strict`, answers 4xx)."""
    a = ctx.connect("A")
    a.send(MALFORMED)
    reply = a.until_closed("a response to a malformed request")
    try:
        get_ok(ctx, target, "B")
    except Failure as failure:
        raise Failure(f"after a malformed request: {failure.rationale}", "dies-on-malformed") from None
    if not strict:
        return "still serving after a malformed request"
    try:
        status = parse(reply.data).status if reply.data else None
    except Failure:
        status = None
    if status is None or not 400 <= status < 500:
        raise Failure(
            f"the malformed request {MALFORMED!r} got status {status}, not 400", "malformed-not-4xx", got=reply.data
        )
    return f"answered {status} to a malformed request, and served the next"


def split_request(ctx: Context, target: str, split: int) -> Response:
    """The request in two TCP segments, the first `split` bytes, then the rest: no answer before the whole head."""
    a = ctx.connect("A")
    sent = head_of(target)
    a.send(sent[:split])
    early = a.listen(EARLY)
    if early:
        raise Failure(
            f"the server answered after {sent[:split]!r}, before the request was complete", "reads-once", got=early
        )
    a.send(sent[split:])
    return read(a, sent)


def silent_client(ctx: Context, target: str) -> Response:
    """Client A sends half a request head and then nothing; client B must be answered meanwhile."""
    ctx.connect("A").send(b"GET / HTTP/1.0\r\n")
    try:
        return get_ok(ctx, target, "B")
    except Failure as failure:
        if failure.hint in ("no-reply", "too-slow"):
            raise Failure(f"client B got no response while A was silent: {failure.rationale}", "serial") from None
        raise
