"""A correct one-shot echo server on socketserver, a thread per connection, sendall.

expect: pass
"""

import socketserver
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode()


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        if data:
            self.request.sendall(prefix + b": " + data)


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", port), Echo) as server:
    server.serve_forever()
