"""A correct recho client written differently: sends each line with its newline, so each echo ends with one, and
reads replies with readline through a file object; input() with EOFError caught.

expect: pass
"""

import socket
import sys

with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as s, s.makefile("rb") as replies:
    while True:
        try:
            line = input("> ")
        except EOFError:
            break
        if not line:
            break
        s.sendall(line.encode() + b"\n")
        print(replies.readline().decode().rstrip("\n"))
