"""Selects well, then reads stdin with sys.stdin.read(1024): that waits for 1,024 characters (or the end of
input), so a typed line is never sent.

expect: client-sends-nothing
"""

import select
import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while True:
    for r in select.select([s, sys.stdin], [], [])[0]:
        if r is s:
            if not (data := s.recv(4096)):
                sys.exit()
            print(data.decode(), end="", flush=True)
        else:
            text = sys.stdin.read(1024)
            if not text.strip():
                sys.exit()
            s.sendall(text.strip().encode())
