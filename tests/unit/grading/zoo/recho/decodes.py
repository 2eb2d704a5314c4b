"""Decodes each recv as UTF-8 to build the reply as text: a 1,024-byte piece of a long message that ends inside a
two-byte character raises UnicodeDecodeError, and the server dies.

expect: decodes-chunks
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client:
            while data := client.recv(1024):
                client.sendall(f"{prefix}: {data.decode()}".encode())
