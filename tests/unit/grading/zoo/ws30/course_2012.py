"""The course's ws30.py (course.md 1.8, week-5 solution of the thirty-minute web server assignment), ported to
Python 3 as it was: serial, listen(1), the request read line by line from a makefile, the method ignored, '.'
glued to the raw URI (no decoding, no '..' check), LF-only lines, no Content-Length, a newline after every body,
the course's MIME map (image/jpg), any '.py' run through a shell, and a request line of other than three words
raising outside the try (course.md section 4, items 7, 11 and 16).

expect: bare-lf
"""

import datetime
import os
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
mime = {".jpg": "image/jpg", ".gif": "image/gif", ".png": "image/png", ".html": "text/html", ".pdf": "application/pdf"}


def respond(out, status, kind, body, extra=""):
    out.write(f"HTTP/1.0 {status}\nServer: ws30\nContent-type: {kind}\n{extra}\n".encode() + body + b"\n")


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", port))
s.listen(1)
print(f"starting 127.0.0.1 on {port}...")
while True:
    conn, address = s.accept()
    reader, out = conn.makefile("rb"), conn.makefile("wb")
    lines = [reader.readline()]
    while lines[-1].strip():
        lines.append(reader.readline())
    method, uri, protocol = lines[0].decode().split()
    print(lines[0].decode().strip(), f"\nfetching: {uri}")
    path = "." + uri
    try:
        if uri.endswith("date.html"):
            respond(out, "200 Okay", "text/plain", f"{prefix}: {datetime.datetime.now()}".encode())
        elif os.path.isfile(path) and path.endswith(".py"):
            respond(out, "200 Okay", "text/plain", os.popen(f"{sys.executable} {path}").read().encode())  # noqa: S605 (as it was)
        elif os.path.isdir(path) and uri.endswith("/"):
            names = sorted(os.listdir(path))
            items = "".join(f'<a href="{name}">{name}</a><br>' for name in names)
            page = f'<html><head><title>{uri}</title></head><body><a href="{uri}..">..</a><br>{items}</body></html>'
            respond(out, "200 Okay", "text/html", page.encode())
        elif os.path.isdir(path):
            respond(out, "301 Moved", "text/plain", b"moved", f"Location: {uri}/\n")
        else:
            with open(path, "rb") as file:
                respond(out, "200 Okay", mime.get(os.path.splitext(path)[1], "text/plain"), file.read())
    except OSError as exc:
        respond(out, "404 Not Found", "text/plain", f"{exc} not found".encode())
    out.close()
    reader.close()
    conn.close()
