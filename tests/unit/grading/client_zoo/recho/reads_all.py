"""Reads all of stdin before sending anything: fine for a file piped in, but a user typing sees nothing.

expect: client-waits-for-all-input
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    for line in sys.stdin.read().splitlines():
        if not line:
            break
        s.sendall(line.encode())
        print(s.recv(4096).decode())
