"""echo_www, broken: Reads the request with one recv(1024): a request line split over two segments is echoed cut.

expect: reads-once
"""

import html
import socket
import sys
import threading

port, prefix = int(sys.argv[1]), sys.argv[2]


def answer(head):
    words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        return "400 Bad Request", "text/plain", b"bad request\n", "GET"
    text = html.escape(f"{prefix}: {words[1]}")
    page = f"<html><head><title>echo_www</title></head><body><p>{text}</p></body></html>\n"
    return "200 OK", "text/html; charset=utf-8", page.encode(), words[0]


def serve(conn):
    with conn:
        try:
            head = conn.recv(1024) or None
            if head is None:
                return
            status, kind, body, method = answer(head)
            lines = f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
            conn.sendall(lines.encode() + (b"" if method == "HEAD" else body))
        except OSError:
            pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(50)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
