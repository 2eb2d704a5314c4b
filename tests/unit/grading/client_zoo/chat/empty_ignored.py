"""Good in every way but one: it skips empty lines instead of quitting on them.

expect: client-empty-line
"""

import select
import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while True:
    for r in select.select([s, sys.stdin], [], [])[0]:
        if r is s:
            if not (data := s.recv(4096)):
                s.close()
                sys.exit()
            print(data.decode(), flush=True)
        elif line := sys.stdin.readline():
            if line.strip():
                s.sendall(line.strip().encode())
        else:
            sys.exit()
