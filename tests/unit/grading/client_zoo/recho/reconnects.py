"""Connects anew for every line, as most of the class did in 2012 (lab02_discussion.txt): it worked with the
one-shot week-1 server only.

expect: client-reconnects
"""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
while line := input("> "):
    with socket.create_connection((host, port)) as s:
        s.sendall(line.encode())
        print(s.recv(4096).decode())
