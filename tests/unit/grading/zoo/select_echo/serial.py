"""The recho server handed in as the select server: one client at a time, so a second client waits.

expect: serial
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client:
            while data := client.recv(1024):
                client.sendall(prefix + data)
