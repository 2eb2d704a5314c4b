"""Quits when the line read is exactly '\n'; at the end of input readline returns '' (not '\n'), so it sends
nothing and waits for a reply for ever.

expect: client-eof-hang
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s:
    while (line := sys.stdin.readline()) != "\n":
        data = line.rstrip("\n").encode()
        s.sendall(data)
        reply = b""
        while not reply.endswith(data) or not reply:
            reply += s.recv(4096)
        print(reply.decode())
