"""A correct week-2 echo client: prompt, send the typed line with sendall, read until the server closes, print.

expect: pass
"""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
message = input("> ")
with socket.create_connection((host, port)) as s:
    s.sendall(message.encode())
    reply = b""
    while data := s.recv(1024):
        reply += data
print(f"from ({host},{port}) {reply.decode()}")
