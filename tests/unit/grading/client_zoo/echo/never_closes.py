"""Treats the echo server like recho: after the reply it prompts for the next line on the same connection, so
when the server closes it neither closes its socket nor exits (it waits for input for good).

expect: client-no-close
"""

import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while True:
    s.sendall(input("> ").encode())
    reply = b""
    while data := s.recv(1024):
        reply += data
    print(reply.decode())
