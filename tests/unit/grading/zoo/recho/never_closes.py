"""Never closes a connection: an empty recv (the client is done) is taken as "nothing yet", and the loop goes on.
(A thread per client, so that the checks after this one still find a server.)

expect: ignores-eof
"""

import socketserver
import sys
import time

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


class Recho(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(1024)
            if data:
                self.request.sendall(prefix + data)
            else:
                time.sleep(0.1)


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", port), Recho) as server:
    server.serve_forever()
