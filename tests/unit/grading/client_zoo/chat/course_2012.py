"""The course's week-4 chat_client.py (course.md 1.4), ported to Python 3 as it was: select over the socket and
stdin; when the server closes, recv returns b'' for ever and it prints empty lines without end (the [bug]).

expect: client-spins-on-close
"""

import datetime
import select
import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 50004
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
print(f"Connection accepted by ({host},{port})")
print("> ", end="", flush=True)
while True:
    ready, _, _ = select.select([s, sys.stdin], [], [], 60)
    if not ready:
        print(f"chat client running at {datetime.datetime.now()}")
    for r in ready:
        if r is sys.stdin:
            line = sys.stdin.readline().strip()
            if not line:
                s.close()
                sys.exit()
            s.send(line.encode())
        else:
            print(s.recv(1024).decode())
    print("> ", end="", flush=True)
