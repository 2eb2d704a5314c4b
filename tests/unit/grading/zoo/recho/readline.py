"""Reads lines (makefile().readline()): the course's clients send what the user typed without a newline, so
they never get an answer.

expect: waits-for-newline
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
with socket.create_server(("127.0.0.1", port)) as server:
    while True:
        client, _ = server.accept()
        with client, client.makefile("rb") as lines:
            for line in lines:
                client.sendall(prefix + line)
