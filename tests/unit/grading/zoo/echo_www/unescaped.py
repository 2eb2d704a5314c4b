"""echo_www, broken: Puts the echoed target into the page as it came, not escaped (reflected XSS).

expect: unescaped-echo
"""

import socket
import sys
import threading

port, prefix = int(sys.argv[1]), sys.argv[2]


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    return data


def answer(head):
    words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        return "400 Bad Request", "text/plain", b"bad request\n", "GET"
    text = f"{prefix}: {words[1]}"
    page = f"<html><head><title>echo_www</title></head><body><p>{text}</p></body></html>\n"
    return "200 OK", "text/html; charset=utf-8", page.encode(), words[0]


def serve(conn):
    with conn:
        try:
            head = read_head(conn)
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
