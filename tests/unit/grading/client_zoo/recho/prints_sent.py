"""Reads each reply but prints the line it sent.

expect: client-no-print
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    while line := input("> "):
        s.sendall(line.encode())
        s.recv(4096)
        print(line)
