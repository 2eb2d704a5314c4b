"""A recho server with a thread per client: it works, but the course's recho is serial on purpose (the lab
observes a second client waiting), so the check of that lesson fails.

expect: not-serial
"""

import socketserver
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


class Recho(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.request.sendall(prefix + data)


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", port), Recho) as server:
    server.serve_forever()
