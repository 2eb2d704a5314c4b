"""A correct select echo server on selectors: nonblocking sockets, an output buffer per client sent when the
socket is writable, a client owing more than 256 KiB dropped, resets handled per client.

expect: pass
"""

import selectors
import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "
LIMIT = 256 * 1024
selector = selectors.DefaultSelector()
pending: dict[socket.socket, bytearray] = {}


def close(sock: socket.socket) -> None:
    selector.unregister(sock)
    pending.pop(sock, None)
    sock.close()


def serve(sock: socket.socket, mask: int) -> None:
    out = pending[sock]
    try:
        if mask & selectors.EVENT_READ:
            data = sock.recv(4096)
            if not data:
                close(sock)
                return
            out += prefix + data
        if out:
            del out[: sock.send(out)]
    except BlockingIOError:
        pass
    except OSError:
        close(sock)
        return
    if len(out) > LIMIT:
        close(sock)
        return
    selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if out else 0), serve)


def accept(listener: socket.socket, mask: int) -> None:
    sock, _ = listener.accept()
    sock.setblocking(False)
    pending[sock] = bytearray()
    selector.register(sock, selectors.EVENT_READ, serve)


listener = socket.create_server(("127.0.0.1", port))
listener.setblocking(False)
selector.register(listener, selectors.EVENT_READ, accept)
while True:
    for key, mask in selector.select():
        if key.fileobj is listener or key.fileobj in pending:
            key.data(key.fileobj, mask)
