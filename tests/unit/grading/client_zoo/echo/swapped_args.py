"""Takes its one argument as the port and always connects to localhost: run as `client HOST PORT`, it fails on
int('127.0.0.1') and never connects.

expect: client-no-connect
"""

import socket
import sys

port = int(sys.argv[1])
with socket.create_connection(("localhost", port)) as s:
    s.sendall(input("> ").encode())
    print(s.recv(1024).decode())
