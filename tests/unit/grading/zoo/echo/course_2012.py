"""The course's week-1 echo_server.py (course.md 1.1), ported to Python 3 as it was: serial, one recv(1024), one
send, close. What the course asked for, so it passes (a long message comes back cut at 1,024 bytes).

expect: pass
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
print(f"echo_server listening on port {port}")
while True:
    client, address = s.accept()
    data = client.recv(1024)
    if data:
        client.send(prefix.encode() + b": " + data)
    print(f"from {address}: {data!r}")
    client.close()
