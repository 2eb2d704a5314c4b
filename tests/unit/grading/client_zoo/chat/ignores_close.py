"""When the server closes it stops watching the socket but keeps waiting for input: it never closes or exits.

expect: client-no-close
"""

import select
import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
watched = [s, sys.stdin]
while True:
    for r in select.select(watched, [], [])[0]:
        if r is s:
            data = s.recv(4096)
            if data:
                print(data.decode(), flush=True)
            else:
                watched.remove(s)
        elif line := sys.stdin.readline().strip():
            s.sendall(line.encode())
        else:
            sys.exit()
