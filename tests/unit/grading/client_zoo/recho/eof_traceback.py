"""Right in every way but the end of input: input() raises EOFError there and the client dies with a traceback.

expect: client-eof-crash
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    while line := input("> "):
        data = line.encode()
        s.sendall(data)
        reply = b""
        while not reply.endswith(data):
            reply += s.recv(4096)
        print(reply.decode())
