"""A thread pool of 8 workers, one client per worker until it leaves: clients past the eighth are never read
and never hear anything.

expect: fifty
"""

import contextlib
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

port, prefix = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
clients: list[socket.socket] = []


def serve(client: socket.socket) -> None:
    tag = f"{prefix} {client.getpeername()}: ".encode()
    with lock:
        clients.append(client)
    with client:
        try:
            while data := client.recv(1024):
                with lock:
                    for other in clients:
                        with contextlib.suppress(OSError):
                            other.sendall(tag + data)
        except OSError:
            pass
        with lock:
            clients.remove(client)


with socket.create_server(("127.0.0.1", port)) as server, ThreadPoolExecutor(max_workers=8) as pool:
    while True:
        pool.submit(serve, server.accept()[0])
