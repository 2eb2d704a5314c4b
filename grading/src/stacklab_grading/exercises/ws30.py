"""Weeks 4-5, the thirty-minute web server ws30 (course.md 1.8) and its assignment: static files from the
directory it runs in (its document root), directory listings, `.../date.html` answering the date and time, and
`/print_time.py` answering the script's output.

The document root is the fixture DOCROOT (write_docroot makes it; `stacklab-check ws30-docroot DIR` too): run the
server in it. Kept from 2012 because it was the task: a listing is an HTML page titled with the path, with a `..`
link and one link per entry in sorted (code point) order; a directory without its trailing slash gets a 301 to
it; a missing file a 404; any reason phrase (ws30's `Okay` passes). Fixed (course.md section 4, items 7, 11, 16),
so the 2012 behaviour fails: LF-only lines, no Content-Length, the extra newline after a file, `image/jpg`, HEAD
answered with a body, `/../` (raw or percent-encoded) leaving the root, and a malformed or empty request or a
silent client stopping the server. `Server: ws30` and the other `.py` files are not graded.
"""

import argparse
import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

from ..engine import Context, Exercise, Failure
from . import http

ws30 = Exercise("ws30", "4", 8080, "serve the directory it runs in: files, listings, date.html, print_time.py")

INDEX = b"<!DOCTYPE html>\n<html><head><title>ws30 fixture</title></head><body><p>its index</p></body></html>\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PRINT_TIME = b"""import datetime
import time

print("Here is the time:", time.time())
print("and again:", datetime.datetime.now())
"""
DOCROOT = {  # the fixture: path -> content; the entries of / in code point order: upper case first
    "Notes.txt": b"Notes, with an upper-case name: listed first.\n",
    "date.html": b"<p>a static file: the server answers the date and time instead</p>\n",
    "index.html": INDEX,
    "photo.jpg": b"\xff\xd8\xff\xe0 not really a JPEG\n",
    "pic.png": PNG,
    "print_time.py": PRINT_TIME,
    "sub/inner.html": b"<p>inside sub</p>\n",
}
ROOT_ENTRIES = ["Notes.txt", "date.html", "index.html", "photo.jpg", "pic.png", "print_time.py", "sub"]
OUTSIDE = "etc/passwd"
DEEP = 12  # `..` segments enough to reach / from any document root


def write_docroot(root: Path) -> Path:
    for name, content in DOCROOT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def docroot_main(argv: list[str]) -> int:
    """`stacklab-check ws30-docroot DIR`: write the fixture into DIR (made if missing), to run a ws30 in."""
    parser = argparse.ArgumentParser(prog="stacklab-check ws30-docroot", description=docroot_main.__doc__)
    parser.add_argument("directory", type=Path)
    root = write_docroot(parser.parse_args(argv).directory)
    print(f"wrote the ws30 fixture in {root}: start your server there (cd {root}), then grade it")
    return 0


def links(page: str, directory: str) -> list[str]:
    """The entry names a listing links to, in page order: hrefs relative or absolute, directories with or without
    their trailing slash."""
    names = []
    for href in re.findall(r"""href\s*=\s*["']([^"']*)["']""", page, re.I):
        name = href.removeprefix(directory) if href.startswith("/") else href
        names.append(name.strip("/"))
    return names


def listing(ctx: Context, directory: str, entries: list[str]) -> str:
    response = http.get_ok(ctx, directory)
    http.expect_html(response, directory)
    page = response.text()
    title = re.search(r"<title>(.*?)</title>", page, re.I | re.S)
    if not title or directory not in title[1]:
        raise Failure(
            f"the listing of {directory} is not titled with {directory!r}",
            "listing-title",
            got=response.raw,
            directory=directory,
        )
    names = links(page, directory)
    missing = [entry for entry in entries if entry not in names]
    if missing:
        raise Failure(
            f"the listing of {directory} has no link to {', '.join(missing)}",
            "listing-entries",
            got=response.raw,
            missing=", ".join(missing),
        )
    if ".." not in names:
        raise Failure(f"the listing of {directory} has no '..' link", "no-parent-link", got=response.raw)
    shown = [name for name in names if name in entries]
    if shown != entries:
        raise Failure(f"the listing of {directory} is in the order {shown}", "listing-order", got=response.raw)
    return f"{directory} listed: .., {', '.join(entries)}"


@ws30.check("lists / as an HTML page: its title, a '..' link, every entry in sorted order")
def lists_root(ctx: Context) -> str:
    return listing(ctx, "/", ROOT_ENTRIES)


@ws30.check("redirects /sub, a directory without its slash, to /sub/ (301)", needs=("lists-root",))
def redirects_directory(ctx: Context) -> str:
    response = http.request(ctx, "/sub")
    location = urlsplit(response.header("location")).path
    if response.status not in (301, 308) or location != "/sub/":
        raise Failure(
            f"GET /sub gave {response.status}, Location {response.header('location')!r}",
            "no-slash-redirect",
            got=response.raw,
        )
    return f"{response.status}, Location: {response.header('location')}"


@ws30.check("lists /sub/", needs=("lists-root",))
def lists_subdirectory(ctx: Context) -> str:
    return listing(ctx, "/sub/", ["inner.html"])


@ws30.check("serves /index.html as text/html, byte for byte", needs=("lists-root",))
def serves_file(ctx: Context) -> str:
    response = http.get_ok(ctx, "/index.html")
    http.expect_html(response, "/index.html")
    if response.body != INDEX:
        raise Failure(
            "the body of /index.html differs from the file", "file-differs", expected=INDEX, got=response.body
        )
    return f"{len(INDEX)} bytes, as on disk"


@ws30.check("gives each file its type: .png image/png, .jpg image/jpeg", needs=("serves-file",))
def types(ctx: Context) -> str:
    for target, want in (("/pic.png", "image/png"), ("/photo.jpg", "image/jpeg")):
        response = http.get_ok(ctx, target)
        if response.media_type != want:
            raise Failure(
                f"{target} came as {response.media_type!r}",
                "wrong-type",
                got=response.raw,
                target=target,
                type=response.media_type,
                want=want,
            )
        if response.body != DOCROOT[target[1:]]:
            raise Failure(
                f"the body of {target} differs from the file",
                "file-differs",
                got=response.body,
                expected=DOCROOT[target[1:]],
            )
    return "image/png and image/jpeg"


@ws30.check("answers 404 for a file that does not exist", needs=("lists-root",))
def not_found(ctx: Context) -> str:
    response = http.request(ctx, "/nope.html")
    if response.status != 404:
        raise Failure(f"GET /nope.html gave {response.status}", "no-404", got=response.raw)
    return "404"


@ws30.check("answers .../date.html with 'PREFIX: <date and time>' as text/plain", needs=("lists-root",))
def date(ctx: Context) -> str:
    response = http.get_ok(ctx, "/date.html")
    year = datetime.date.today().year
    if response.media_type != "text/plain" or f"{ctx.prefix}: {year}-" not in response.text():
        raise Failure(
            f"GET /date.html did not say '{ctx.prefix}: {year}-...' as text/plain",
            "no-date",
            got=response.raw,
            prefix=ctx.prefix,
        )
    return response.text().strip()


@ws30.check("runs /print_time.py and answers its output", needs=("lists-root",))
def print_time(ctx: Context) -> str:
    response = http.get_ok(ctx, "/print_time.py")
    text = response.text()
    if "Here is the time:" not in text or "and again:" not in text or "print(" in text:
        raise Failure("GET /print_time.py did not answer the script's output", "script-not-run", got=response.raw)
    return "the script's two lines"


@ws30.check("answers HEAD with the headers only", needs=("serves-file",))
def head(ctx: Context) -> str:
    return http.head(ctx, "/index.html")


def refuses(ctx: Context, targets: list[str], hint: str) -> str:
    for target in targets:
        response = http.request(ctx, target)
        if response.status == 200 or "root:" in response.text():
            raise Failure(
                f"GET {target} served a file outside the document root", hint, got=response.raw, target=target
            )
    return f"refused {len(targets)} paths out of the root"


@ws30.check("serves nothing outside its root: /../ refused", needs=("lists-root",))
def traversal(ctx: Context) -> str:
    return refuses(ctx, ["/" + "../" * DEEP + OUTSIDE, "/sub/" + "../" * DEEP + OUTSIDE], "traversal")


@ws30.check("serves nothing outside its root: %2e%2e and ..%2f refused", needs=("traversal",))
def traversal_encoded(ctx: Context) -> str:
    targets = ["/" + "%2e%2e/" * DEEP + OUTSIDE, "/" + "..%2f" * DEEP + "etc%2fpasswd"]
    return refuses(ctx, targets, "traversal-encoded")


@ws30.check("survives a client that connects and closes without sending", needs=("lists-root",))
def empty_connection(ctx: Context) -> str:
    return http.empty_connection(ctx, "/index.html")


@ws30.check("answers a malformed request line with 400, and lives on", needs=("lists-root",))
def malformed(ctx: Context) -> str:
    return http.malformed(ctx, "/index.html", strict=True)


@ws30.check("reads the whole request, even split inside its request line", needs=("serves-file",))
def split_request(ctx: Context) -> str:
    response = http.split_request(ctx, "/index.html", 8)
    if response.status != 200 or response.body != INDEX:
        raise Failure(
            "GET /index.html sent in two segments did not get the file",
            "file-differs",
            got=response.raw,
            expected=INDEX,
        )
    return "served /index.html sent in two segments"


@ws30.check("answers a client while another sends nothing", needs=("lists-root",))
def silent_client(ctx: Context) -> str:
    http.silent_client(ctx, "/index.html")
    return "answered B while A was silent"
