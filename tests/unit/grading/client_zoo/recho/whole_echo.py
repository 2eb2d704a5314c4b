"""A correct recho client: one connection per session, each line sent with sendall, then recv until the whole
echo of the line has come (it ends with what was sent); an empty line or the end of input closes and exits.

expect: pass
"""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port))
print(f"Connection accepted by ({host},{port})")
while True:
    print("> ", end="", flush=True)
    line = sys.stdin.readline()
    if not line.strip("\n"):  # an empty line, or '' at the end of input
        break
    data = line.rstrip("\n").encode()
    s.sendall(data)
    reply = b""
    while not reply.endswith(data):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the server closed the connection")
        reply += chunk
    print(reply.decode())
s.close()
