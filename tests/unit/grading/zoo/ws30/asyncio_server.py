"""A correct ws30 on asyncio, serving the directory it runs in: streams read to the head's empty line, the file
system and the script in a worker thread (asyncio.to_thread), the target resolved and kept under the root, the
listing built from os.scandir, the script run by asyncio's own subprocess support.

expect: pass
"""

import asyncio
import contextlib
import datetime
import html
import mimetypes
import os
import sys
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

port, prefix = int(sys.argv[1]), sys.argv[2]
ROOT = Path.cwd().resolve()
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".html": "text/html", ".pdf": "application/pdf"}


def text(status, body, *extra):
    return status, "text/plain; charset=utf-8", body.encode(), list(extra)


def static(path):
    local = (ROOT / path.lstrip("/")).resolve()
    if not local.is_relative_to(ROOT) or not local.exists():
        return text("404 Not Found", f"{path} not found\n")
    if local.is_dir():
        if not path.endswith("/"):
            return text("301 Moved", "moved\n", ("Location", quote(path) + "/"))
        with os.scandir(local) as entries:
            names = sorted(entry.name for entry in entries)
        rows = [f"<li><a href='{quote(name)}'>{html.escape(name)}</a></li>" for name in names]
        page = f"<!DOCTYPE html><title>{html.escape(path)}</title><ul><li><a href='..'>..</a></li>{''.join(rows)}</ul>"
        return "200 Okay", "text/html; charset=utf-8", page.encode(), []
    kind = TYPES.get(local.suffix) or mimetypes.guess_type(local.name)[0] or "text/plain"
    return "200 Okay", kind, local.read_bytes(), []


async def answer(target):
    path = unquote(urlsplit(target).path, errors="strict")
    if ".." in path.split("/"):
        return text("400 Bad Request", "no way out of the root\n")
    if path.endswith("date.html"):
        return text("200 Okay", f"{prefix}: {datetime.datetime.now()}\n")
    if path == "/print_time.py":
        script = await asyncio.create_subprocess_exec(
            sys.executable, ROOT / "print_time.py", stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
        )
        out, _ = await asyncio.wait_for(script.communicate(), 5)
        return "200 Okay", "text/plain", out, []
    return await asyncio.to_thread(static, path)


async def serve(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    words = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    if len(words) != 3 or not words[2].startswith("HTTP/1."):
        status, kind, body, extra = text("400 Bad Request", "bad request\n")
    elif words[0] not in ("GET", "HEAD"):
        status, kind, body, extra = text("501 Not Implemented", "GET and HEAD only\n")
    else:
        try:
            status, kind, body, extra = await answer(words[1])
        except (UnicodeDecodeError, OSError, TimeoutError):
            status, kind, body, extra = text("500 Internal Server Error", "cannot answer\n")
    fields = [("Server", "ws30"), ("Content-Type", kind), ("Content-Length", len(body)), *extra]
    writer.write(f"HTTP/1.0 {status}\r\n".encode() + b"".join(f"{k}: {v}\r\n".encode() for k, v in fields) + b"\r\n")
    if words[0] != "HEAD":
        writer.write(body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    await server.serve_forever()


asyncio.run(main())
