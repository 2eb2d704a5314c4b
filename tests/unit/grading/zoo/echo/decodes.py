"""Decodes each recv as UTF-8: a 1,024-byte piece that ends inside a character raises, and the server dies.

expect: dies-on-long
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        text = client.recv(1024).decode()
        client.sendall(f"{prefix}: {text}".encode())
