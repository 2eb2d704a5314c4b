"""The course's week-2 echo_client.py (course.md 1.1), ported to Python 3 as it was: one recv(1024) for the
reply, so a reply that comes in two segments is printed cut (course.md 4, item 9).

expect: client-recv-once
"""

import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
data = input("> ")
s.send(data.encode())
data = s.recv(1024)
s.close()
print("from", (host, port), data.decode())
