"""hello_www, broken: Reads the request with one recv(1024): a request split over two segments is answered half-read.

expect: reads-once
"""

import socket
import sys
import threading

port, prefix = int(sys.argv[1]), sys.argv[2]
PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, world!</h1><p>from {prefix} – week 4</p></body></html>
""".encode()


def serve(conn):
    with conn:
        try:
            head = conn.recv(1024) or None
            if head is None:
                return
            body = b"" if head.startswith(b"HEAD ") else PAGE
            status = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            conn.sendall(status + b"Content-Length: %d\r\n\r\n" % len(PAGE) + body)
        except OSError:
            pass


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(50)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
