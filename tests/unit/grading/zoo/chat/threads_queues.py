"""A correct chat server with threads: a reader thread per client, and a writer thread per client fed by a bounded
queue; a client whose queue stays full for 0.2 s (it does not read) is dropped instead of holding up
the others.

expect: pass
"""

import contextlib
import queue
import socket
import sys
import threading

port, prefix = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
outboxes: dict[socket.socket, queue.Queue] = {}


def drop(sock: socket.socket) -> None:
    with lock:
        box = outboxes.pop(sock, None)
    if box is not None:
        with contextlib.suppress(queue.Full):  # wakes a writer waiting for lines; one blocked in sendall: below
            box.put_nowait(None)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def write(sock: socket.socket, box: queue.Queue) -> None:
    while (line := box.get()) is not None:
        try:
            sock.sendall(line)
        except OSError:
            drop(sock)
            return


def read(sock: socket.socket, address: tuple) -> None:
    tag = f"{prefix} {address}: ".encode()
    with sock, sock.makefile("rb") as lines:
        try:
            for line in lines:
                with lock:
                    boxes = list(outboxes.items())
                for other, box in boxes:
                    try:
                        box.put(tag + line, timeout=0.2)  # a reader that lags a little is waited for
                    except queue.Full:
                        drop(other)
        except OSError:
            pass
        drop(sock)


with socket.create_server(("127.0.0.1", port), backlog=128) as server:
    while True:
        sock, address = server.accept()
        box: queue.Queue = queue.Queue(maxsize=256)
        with lock:
            outboxes[sock] = box
        threading.Thread(target=write, args=(sock, box), daemon=True).start()
        threading.Thread(target=read, args=(sock, address), daemon=True).start()
