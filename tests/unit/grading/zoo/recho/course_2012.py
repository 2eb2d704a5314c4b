"""The course's week-2 recho_server.py (course.md 1.2), ported to Python 3 as it was: serial, recv(1024) and
send in a loop until the client closes. Nothing catches a reset: a client that drops off the network (RST)
raises ConnectionResetError in recv and the whole server dies (course.md 4, items 10-11).

expect: dies-on-reset
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
print(f"recho_server listening on port {port}")
while True:
    client, address = s.accept()
    print(f"accepted connection from {address}")
    while True:
        data = client.recv(1024)
        if data:
            client.send(prefix.encode() + b": " + data)
        else:
            client.close()
            print("closed connection")
            break
