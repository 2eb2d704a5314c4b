"""Echoes every message on one connection, as recho does: never closes the one-shot connection.

expect: no-close
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        while data := client.recv(1024):
            client.sendall(prefix.encode() + b": " + data)
