"""Sends each echo to every connected client, not only to its sender (half-way to the chat server).

expect: echo-to-all
"""

import select
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
server = socket.create_server(("127.0.0.1", port))
clients: list[socket.socket] = []
while True:
    readable, _, _ = select.select([server, *clients], [], [])
    for s in readable:
        if s is server:
            clients.append(server.accept()[0])
            continue
        try:
            data = s.recv(1024)
        except OSError:
            data = b""
        if not data:
            clients.remove(s)
            s.close()
            continue
        for other in clients:
            other.sendall(prefix + data)
