"""Tags each message with the server's own address (getsockname) instead of the sender's.

expect: wrong-sender
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
                c.sendall(f"{prefix} {s.getsockname()}: ".encode() + data)
            except OSError:
                clients.remove(c)
                c.close()
