"""Sends str() of the encoded message, so b'Hello, world' goes out with its b and quotes.

expect: client-sends-other
"""

import socket
import sys

message = input("> ").encode()
with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    s.sendall(str(message).encode())
    reply = b""
    while data := s.recv(1024):
        reply += data
print(reply.decode())
