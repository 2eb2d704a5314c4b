"""Takes an empty recv (a client that sent nothing) as the signal to stop the whole server.

expect: dies-on-empty
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.create_server(("127.0.0.1", port))
while True:
    client, _ = server.accept()
    with client:
        data = client.recv(1024)
        if not data:
            break
        client.sendall(prefix.encode() + b": " + data)
