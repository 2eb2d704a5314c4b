"""Hides the server's copy of its own lines (it filters lines naming its own address), but the course's chat
shows every message, the sender's own included.

expect: client-no-print
"""

import select
import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
me = repr(s.getsockname()[:2])
while True:
    for r in select.select([s, sys.stdin], [], [])[0]:
        if r is s:
            if not (data := s.recv(4096)):
                sys.exit()
            if me not in data.decode():
                print(data.decode(), end="", flush=True)
        elif line := sys.stdin.readline().strip():
            s.sendall(line.encode())
        else:
            sys.exit()
