"""Skips empty lines instead of quitting: only the end of input ends it.

expect: client-empty-line
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    for line in sys.stdin:
        data = line.rstrip("\n").encode()
        if not data:
            continue
        s.sendall(data)
        reply = b""
        while not reply.endswith(data):
            reply += s.recv(4096)
        print(reply.decode())
