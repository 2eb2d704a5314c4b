"""A correct chat client written differently: a thread prints what the socket brings and ends the process when
the server closes; the main thread sends the lines typed until an empty one or the end of input.

expect: pass
"""

import os
import socket
import sys
import threading

sock = socket.create_connection((sys.argv[1], int(sys.argv[2])))


def show() -> None:
    while data := sock.recv(4096):
        print(data.decode(errors="replace").rstrip("\n"), flush=True)
    print("the server closed the connection", flush=True)
    sock.close()
    os._exit(0)  # the main thread is blocked reading stdin: end the whole process


threading.Thread(target=show, daemon=True).start()
for line in sys.stdin:
    if not line.strip("\n"):
        break
    sock.sendall(line.rstrip("\n").encode())
sock.close()
