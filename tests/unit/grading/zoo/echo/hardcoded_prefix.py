"""Keeps the course sample's uw-student instead of the student's own name (ignores argv[2]).

expect: wrong-prefix
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        client.sendall(b"uw-student: " + client.recv(1024))
