"""A correct ws30 on raw sockets, serving the directory it runs in: a thread per connection, the head read to its
empty line, the path URL-decoded and refused if it has a '..' segment or resolves outside the root, sorted
listings with a '..' link, 301 to a directory's slash, 404, types from mimetypes, date.html, and print_time.py
run without a shell (only it: the allow-list).

expect: pass
"""

import datetime
import html
import mimetypes
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote, unquote

port, prefix = int(sys.argv[1]), sys.argv[2]
ROOT = Path.cwd().resolve()
SCRIPTS = {"print_time.py"}


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    return data


def listing(path, local):
    items = "".join(f'<a href="{quote(name)}">{html.escape(name)}</a><br>\n' for name in sorted(os.listdir(local)))
    title = html.escape(path)
    return f'<html><head><title>{title}</title></head><body>\n<a href="..">..</a><br>\n{items}</body></html>\n'


def answer(target):
    """(status, content type, body, extra header lines) for a GET of `target`."""
    path = unquote(target.split("?", 1)[0])
    if ".." in path.split("/"):
        return "400 Bad Request", "text/plain", b"path leaves the root\n", ""
    if path.endswith("date.html"):
        return "200 Okay", "text/plain", f"{prefix}: {datetime.datetime.now()}\n".encode(), ""
    local = ROOT / path.lstrip("/")
    if not local.resolve().is_relative_to(ROOT):
        return "404 Not Found", "text/plain", f"{path} not found\n".encode(), ""
    if local.is_dir():
        if not path.endswith("/"):
            return "301 Moved", "text/plain", b"moved\n", f"Location: {quote(path)}/\r\n"
        return "200 Okay", "text/html", listing(path, local).encode(), ""
    if local.is_file() and local.parent == ROOT and local.name in SCRIPTS:
        run = subprocess.run([sys.executable, local], capture_output=True, timeout=5, stdin=subprocess.DEVNULL)
        return "200 Okay", "text/plain", run.stdout, ""
    if local.is_file():
        kind = mimetypes.guess_type(local.name)[0] or "text/plain"
        return "200 Okay", kind, local.read_bytes(), ""
    return "404 Not Found", "text/plain", f"{path} not found\n".encode(), ""


def serve(conn):
    with conn:
        try:
            head = read_head(conn)
            if head is None:
                return
            words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(words) != 3 or not words[2].startswith("HTTP/"):
                status, kind, body, extra = "400 Bad Request", "text/plain", b"bad request\n", ""
            elif words[0] not in ("GET", "HEAD"):
                status, kind, body, extra = "405 Method Not Allowed", "text/plain", b"GET or HEAD\n", ""
            else:
                status, kind, body, extra = answer(words[1])
            lines = f"HTTP/1.0 {status}\r\nServer: ws30\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
            conn.sendall((lines + extra + "\r\n").encode() + (b"" if words[:1] == ["HEAD"] else body))
        except OSError:
            pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(50)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
