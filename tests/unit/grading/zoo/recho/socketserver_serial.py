"""A correct recho server on socketserver.TCPServer, which serves one connection at a time (no mixin).

expect: pass
"""

import socketserver
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


class Recho(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(4096):
            self.request.sendall(prefix + data)


class Server(socketserver.TCPServer):
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # a reset ends that client's turn, quietly
        pass


with Server(("127.0.0.1", port), Recho) as server:
    server.serve_forever()
