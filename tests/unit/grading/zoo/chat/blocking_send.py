"""Survives resets, but sends with a blocking sendall: a client that does not read fills its buffers,
the send blocks, and everyone waits.

expect: slow-client
"""

import select
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
clients: list[socket.socket] = []
while True:
    readable, _, _ = select.select([server, *clients], [], [])
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
            clients.remove(s)
            s.close()
            continue
        for c in list(clients):
            try:
                c.sendall(f"{prefix} {s.getpeername()}: ".encode() + data)
            except OSError:
                clients.remove(c)
                c.close()
