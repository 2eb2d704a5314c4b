"""hello_www, broken: Sends no Content-Length: the body ends at the close.

expect: no-content-length
"""

import socket
import sys
import threading

port, prefix = int(sys.argv[1]), sys.argv[2]
PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, world!</h1><p>from {prefix} – week 4</p></body></html>
""".encode()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    return data


def serve(conn):
    with conn:
        try:
            head = read_head(conn)
            if head is None:
                return
            body = b"" if head.startswith(b"HEAD ") else PAGE
            status = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            conn.sendall(status + b"\r\n" + body)
        except OSError:
            pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(50)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
