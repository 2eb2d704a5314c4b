"""A thread pool of 8 workers, one client per worker until it leaves: the ninth client connected at once waits.

expect: fifty
"""

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


def serve(client: socket.socket) -> None:
    with client:
        try:
            while data := client.recv(1024):
                client.sendall(prefix + data)
        except OSError:
            pass


with socket.create_server(("127.0.0.1", port)) as server, ThreadPoolExecutor(max_workers=8) as pool:
    while True:
        pool.submit(serve, server.accept()[0])
