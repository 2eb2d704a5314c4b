"""A select server that survives resets but sends with a blocking sendall: one client that sends without reading
its echoes fills the buffers, the send blocks, and every other client waits.

expect: slow-client
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
            if data:
                s.sendall(prefix + data)
        except OSError:
            data = b""
        if not data:
            clients.remove(s)
            s.close()
