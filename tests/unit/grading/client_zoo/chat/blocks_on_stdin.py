"""The recho client used for chat (the assignment's question): it blocks in input() and reads the socket only
after sending, so other users' messages show late and out of step.

expect: client-blocks-on-stdin
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    while line := input("> "):
        s.sendall(line.encode())
        print(s.recv(4096).decode())
