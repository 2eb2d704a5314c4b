"""Strips the data before echoing it: the client's line ending is lost.

expect: strips-newline
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        client.sendall(prefix.encode() + b": " + client.recv(1024).strip())
