"""The course's echo_server_select.py (course.md 1.3), ported to Python 3 as it was: one select over the listener,
stdin and every client; blocking sends; nothing catches a reset, so one client dropping off the network (RST)
raises in recv and the whole server dies (course.md 4, item 10). (Run with an open, empty stdin, as in a
terminal: at EOF it would stop at once, the other item-10 bug.)

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
print(f"echo_server listening on port {port}, to exit type return")
inputs = [server, sys.stdin]
running = True
while running:
    readable, _, _ = select.select(inputs, [], [], 10)
    if not readable:
        print(f"Server running at {datetime.datetime.now()}")
    for s in readable:
        if s is server:
            client, address = server.accept()
            inputs.append(client)
            print(f"accepted connection from {address}")
        elif s is sys.stdin:
            line = sys.stdin.readline()
            print(f"Input {line} from stdin, exiting.")
            running = False
        else:
            data = s.recv(1024)
            print(f"{s.getpeername()}: {data!r}")
            if data:
                s.send(prefix.encode() + b": " + data)
            else:
                s.close()
                print("closed connection")
                inputs.remove(s)
server.close()
