"""Forgets the prefix: sends the data back alone.

expect: no-prefix
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        client.sendall(client.recv(1024))
