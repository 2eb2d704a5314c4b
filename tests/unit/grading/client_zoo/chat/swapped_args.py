"""Reads the port from its first argument and connects to localhost: run as `client HOST PORT`, it dies on
int('127.0.0.1').

expect: client-no-connect
"""

import select
import socket
import sys

s = socket.create_connection(("localhost", int(sys.argv[1])))
while True:
    for r in select.select([s, sys.stdin], [], [])[0]:
        if r is s:
            print(s.recv(4096).decode())
        elif line := sys.stdin.readline().strip():
            s.sendall(line.encode())
        else:
            sys.exit()
