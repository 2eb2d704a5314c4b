"""A correct week-1 echo client written differently: sends the fixed 'Hello, world' (stdin unread) and reads the
whole reply through a file object (read() returns at end of file, when the server closed).

expect: pass
"""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sock = socket.create_connection((host, port))
sock.sendall(b"Hello, world")
with sock, sock.makefile("rb") as replies:
    reply = replies.read()
sys.stdout.write(reply.decode() + "\n")
