"""Closes a client that left but keeps it in the list: the next message is sent to a closed socket,
which raises, and the server dies.

expect: dies-on-close
"""

import select
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
clients: list[socket.socket] = []
while True:
    readable, _, _ = select.select([server, *[c for c in clients if c.fileno() >= 0]], [], [])
    for s in readable:
        if s is server:
            clients.append(server.accept()[0])
            continue
        if s not in clients:  # closed earlier in this round
            continue
        try:
            data = s.recv(1024)
        except OSError:
            data = b""
        if not data:
            s.close()
            continue
        for c in clients:
            c.sendall(f"{prefix} {s.getpeername()}: ".encode() + data)
