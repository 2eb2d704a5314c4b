"""Answers one client, then the program ends: no loop around accept().

expect: exits-after-one
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
client, _ = server.accept()
with client:
    client.sendall(prefix.encode() + b": " + client.recv(1024))
