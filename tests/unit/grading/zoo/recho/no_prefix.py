"""Echoes without the prefix.

expect: no-prefix
"""

import socket
import sys

port = int(sys.argv[1])
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client:
            while data := client.recv(1024):
                client.sendall(data)
