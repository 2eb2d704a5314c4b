"""Reads until the client closes before replying; the course's client waits for its answer first.

expect: waits-for-eof
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        data = b""
        while chunk := client.recv(1024):
            data += chunk
        client.sendall(prefix.encode() + b": " + data)
