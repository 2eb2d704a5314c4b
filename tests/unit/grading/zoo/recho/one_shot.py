"""The week-1 echo server used for recho: one reply per connection, then close.

expect: closes-after-one
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client:
            client.sendall(prefix + client.recv(1024))
