"""Prints the reply as it comes but loops on recv for good: after the server's close recv returns b'' at once,
forever, and the client neither closes nor exits.

expect: client-no-close
"""

import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(input("> ").encode())
while True:
    data = s.recv(1024)
    if data:
        print(data.decode(), end="", flush=True)
