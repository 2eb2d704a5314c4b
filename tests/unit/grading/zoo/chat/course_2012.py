"""The course's week-4 chat_server.py (course.md 1.4), ported to Python 3 as it was: one select over the listener,
stdin and the clients; each chunk sent to every client, sender included, as `PREFIX ('ip', port): data`.
Nothing catches a reset: one client dropping off the network (RST) raises in recv and the whole server dies
(course.md 1.4 and 4, item 10). (Run with an open, empty stdin, as in a terminal.)

expect: dies-on-reset
"""

import datetime
import select
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(5)
print(f"chat_server listening on port {port}, to exit type return")
clients: list[socket.socket] = []
running = True
while running:
    readable, _, _ = select.select([server, sys.stdin, *clients], [], [], 60)
    if not readable:
        print(f"Server running at {datetime.datetime.now()}")
    for s in readable:
        if s is server:
            client, address = server.accept()
            clients.append(client)
            print(f"accepted connection from {address}")
        elif s is sys.stdin:
            sys.stdin.readline()
            running = False
        else:
            data = s.recv(1024)
            if data:
                sender = s.getpeername()
                print(f"{sender}: {data!r}")
                for c in clients:
                    c.send(f"{prefix} {sender}: ".encode() + data)
            else:
                s.close()
                print("closed connection")
                clients.remove(s)
server.close()
