"""A correct chat server on selectors: newline-framed messages, nonblocking sends from an output buffer per
client, a client owing more than 256 KiB dropped, resets handled per client.

expect: pass
"""

import selectors
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
LIMIT = 256 * 1024
selector = selectors.DefaultSelector()
clients: dict[socket.socket, dict] = {}


def close(sock: socket.socket) -> None:
    selector.unregister(sock)
    del clients[sock]
    sock.close()


def flush(sock: socket.socket) -> None:
    state = clients[sock]
    try:
        if state["out"]:
            del state["out"][: sock.send(state["out"])]
    except BlockingIOError:
        pass
    except OSError:
        close(sock)
        return
    if len(state["out"]) > LIMIT:
        close(sock)
        return
    selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if state["out"] else 0), serve)


def serve(sock: socket.socket, mask: int) -> None:
    if mask & selectors.EVENT_READ:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(sock)
            return
        state = clients[sock]
        state["in"] += data
        *lines, state["in"] = state["in"].split(b"\n")
        for line in lines:
            for other in list(clients):
                clients[other]["out"] += state["tag"] + line + b"\n"
        for other in list(clients):
            if other in clients:
                flush(other)
    elif sock in clients:
        flush(sock)


def accept(listener: socket.socket, mask: int) -> None:
    sock, address = listener.accept()
    sock.setblocking(False)
    clients[sock] = {"tag": f"{prefix} {address}: ".encode(), "in": b"", "out": bytearray()}
    selector.register(sock, selectors.EVENT_READ, serve)


listener = socket.create_server(("127.0.0.1", port))
listener.setblocking(False)
selector.register(listener, selectors.EVENT_READ, accept)
while True:
    for key, mask in selector.select():
        if key.fileobj is listener or key.fileobj in clients:
            key.data(key.fileobj, mask)
