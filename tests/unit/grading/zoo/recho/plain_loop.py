"""A correct serial recho server: one client at a time, sendall, a reset ends that client's turn only.

expect: pass
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client:
            try:
                while data := client.recv(1024):
                    client.sendall(prefix + data)
            except OSError:
                pass
