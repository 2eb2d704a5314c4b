"""The course's week-2 recho_client.py (course.md 1.2), ported to Python 3 as it was: one recv(1024) per line,
so the echo of a long line is printed cut and the next prompts print stale data (course.md 1.2 edge cases); it
also dies of EOFError at the end of input.

expect: client-recv-once
"""

import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 50002
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
print(f"Connection accepted by ({host},{port})")
while True:
    line = input("> ")
    if not line:
        s.close()
        break
    s.send(line.encode())
    data = s.recv(1024)
    print(data.decode())
