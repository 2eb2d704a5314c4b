"""A correct chat client: one selectors loop over the socket and stdin (read with os.read and split into lines
here, so no line waits in Python's stdin buffer unseen by select); an empty line, the end of input or the
server's close ends it.

expect: pass
"""

import os
import selectors
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sock = socket.create_connection((host, port))
print(f"Connection accepted by ({host},{port})")
selector = selectors.DefaultSelector()
selector.register(sock, selectors.EVENT_READ)
selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
typed = b""
running = True
while running:
    print("> ", end="", flush=True)
    for key, _ in selector.select():
        if key.fileobj is sock:
            data = sock.recv(4096)
            if not data:
                print("\nthe server closed the connection")
                running = False
                break
            print(data.decode(errors="replace").rstrip("\n"))
        else:
            chunk = os.read(sys.stdin.fileno(), 4096)
            typed += chunk
            while b"\n" in typed or (not chunk and typed):
                line, _, typed = typed.partition(b"\n")
                if not line:
                    running = False
                    break
                sock.sendall(line)
            if not chunk:
                running = False
            if not running:
                break
sock.close()
