"""Weeks 5-6, the web client (course.md 1.10, the `webclient.txt` assignment and its `download.py`): scrape the
course page for the URLs of its Python files and download them. Run as `COMMAND URL N`, in an empty directory,
it fetches the page at URL, resolves each href ending in `.py` against it, saves the first N in the current
directory under their basenames and prints how many it saved. The recording server is a small HTTP/1.0 site
on loopback (the course page and its files); the 2012 `download.py` printed N even when fewer were there [bug]."""

import posixpath
from pathlib import Path
from urllib.parse import urlsplit

from ..engine import Exercise, Failure
from .common import BUDGET
from .session import ClientContext, Conn, Recorder, Session, until

PAGE = "/winter_2012/index.html"
FILES = {  # the course's Python files, in the page's order
    "/winter_2012/week01/echo_server.py": "# week 1: the echo server\nimport socket\n",
    "/winter_2012/week02/recho_client.py": "# week 2: the recho client\nimport sys\n",
    "/winter_2012/week04/chat_client.py": "# week 4: the chat client, caf\u00e9 edition\nimport select\n",
    "/winter_2012/week05/download.py": "# week 5: the downloader\nimport urllib.request\n",
}
OTHERS = {
    "/winter_2012/week01/assignment.txt": "Write an echo server.\n",
    "/winter_2012/week03/notes.py.txt": "notes\n",
}
N = 3  # the files asked for in the first run; the second asks for more than there are


def page(port: int) -> str:
    here = f"http://127.0.0.1:{port}"
    hrefs = [
        "week01/echo_server.py",
        "week03/notes.py.txt",  # not a Python file, though it has .py in it
        "week01/assignment.txt",
        "week02/recho_client.py",
        f"{here}/winter_2012/week04/chat_client.py",  # an absolute link
        f"{here}/winter_2012/",
        "week05/download.py",
    ]
    links = "\n".join(f'<li><a href="{href}">{posixpath.basename(href) or "home"}</a></li>' for href in hrefs)
    title = "<title>Internet programming in Python</title>"
    return f"<!DOCTYPE html>\n<html><head>{title}</head>\n<body><ul>\n{links}\n</ul></body></html>\n"


def site(port: int) -> dict[str, bytes]:
    return {path: text.encode() for path, text in {PAGE: page(port), **FILES, **OTHERS}.items()}


def web_server(recorder: Recorder, conn: Conn) -> None:
    """One HTTP/1.0 exchange per connection: the request's path is recorded, then the file or a 404."""
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        if not (data := conn.recv()):
            return
        head += data
    words = head.split(b"\n", 1)[0].split()
    path = urlsplit(words[1].decode(errors="replace")).path if len(words) > 1 else ""
    conn.path = path
    body = site(recorder.port).get(path)
    status, body = ("200 OK", body) if body is not None else ("404 Not Found", b"not found\n")
    kind = "text/html" if path.endswith((".html", "/")) else "text/plain; charset=utf-8"
    conn.send(f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    conn.close_server_side()
    while conn.recv():
        pass


def download(ctx: ClientContext, session: Session) -> None:
    session.facts["status"] = session.student.exits(2 * ctx.wait)


def download_all(ctx: ClientContext, session: Session) -> None:
    download(ctx, session)


def collect(session: Session, directory: Path) -> None:
    session.facts["files"] = {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }
    until(lambda: all(hasattr(conn, "path") or conn.client_closed for conn in session.recorder.conns), 0.5)
    session.facts["paths"] = [getattr(conn, "path", "") for conn in session.recorder.conns]


def run(ctx: ClientContext, scenario, n: int) -> Session:
    return ctx.session(scenario, web_server, lambda port: [f"http://127.0.0.1:{port}{PAGE}", str(n)], collect)


web_client = Exercise("web", "5", 80, "download the course page's .py files: COMMAND URL N")


@web_client.check("fetches the page at the URL it is given", budget=BUDGET)
def fetches_page(ctx: ClientContext) -> str:
    if PAGE not in run(ctx, download, N).facts["paths"]:
        raise Failure(f"no request for {PAGE}", "web-no-fetch")
    return f"fetched {PAGE}"


@web_client.check(
    "follows the links that end in .py, resolved against the page", needs=("fetches-page",), budget=BUDGET
)
def follows_py_links(ctx: ClientContext) -> str:
    for path in run(ctx, download, N).facts["paths"]:
        if path != PAGE and path not in FILES:
            hint = "web-fetches-other" if path in OTHERS or not path.endswith(".py") else "web-relative-urls"
            raise Failure(f"the client asked for {path}", hint, path=path)
    return "asked for Python files of the page only"


@web_client.check(f"saves {N} of them, whole, under their basenames", needs=("follows-py-links",), budget=BUDGET)
def saves_files(ctx: ClientContext) -> str:
    return saved(run(ctx, download, N), N)


@web_client.check(
    "asked for more than there are, saves them all and prints how many", needs=("saves-files",), budget=BUDGET
)
def counts(ctx: ClientContext) -> str:
    session = run(ctx, download_all, 10)
    saved(session, len(FILES))
    lines = session.student.out.decode(errors="replace").split()
    printed = lines[-1] if lines else ""
    if printed != str(len(FILES)):
        raise Failure(f"printed {printed!r} for {len(FILES)} files", "web-count", printed=printed, count=len(FILES))
    return f"saved all {len(FILES)} files and printed {len(FILES)}"


def saved(session: Session, n: int) -> str:
    files = session.facts["files"]
    served = {posixpath.basename(path): text.encode() for path, text in FILES.items()}
    for name, data in files.items():
        if name not in served:
            raise Failure(f"a file was saved as {name!r}", "web-file-name", name=name)
        if data != served[name]:
            raise Failure(f"{name} differs", "web-content", name=name, expected=served[name], got=data)
    if len(files) > n:
        raise Failure(f"{len(files)} files saved for N = {n}", "web-no-limit", count=len(files), n=n)
    if len(files) < n:
        raise Failure(f"{len(files)} files saved for N = {n}", "web-missing", count=len(files), n=n)
    return f"saved {', '.join(sorted(files))}"
