"""Reads the reply but prints what it sent.

expect: client-no-print
"""

import socket
import sys

message = input("> ")
with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    s.sendall(message.encode())
    reply = b""
    while data := s.recv(1024):
        reply += data
print(f"sent {message}")
