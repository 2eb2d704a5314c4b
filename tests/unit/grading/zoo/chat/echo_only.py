"""The select echo server handed in as the chat server: each message goes back to its sender only.

expect: not-broadcast
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
        s.sendall(f"{prefix} {s.getpeername()}: ".encode() + data)
