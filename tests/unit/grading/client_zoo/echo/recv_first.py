"""Waits for the server to speak first: recv before send, so both sides wait and nothing is sent.

expect: client-sends-nothing
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    greeting = s.recv(1024)
    s.sendall(input("> ").encode())
    print(greeting.decode(), s.recv(1024).decode())
