"""A correct concurrent echo server with a thread per client (socketserver): a client that does not read blocks
only its own thread.

expect: pass
"""

import socketserver
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while data := self.request.recv(1024):
                self.request.sendall(prefix + data)
        except OSError:
            pass


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.request_queue_size = 128  # not 5: fifty clients connecting at once wait for no retry
socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", port), Echo) as server:
    server.serve_forever()
