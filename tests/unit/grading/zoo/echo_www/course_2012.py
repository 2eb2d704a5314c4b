"""The course's week-5 echo_www.py (course.md 1.7), ported to Python 3 as it was: serial, one recv(1024), the
second whitespace-separated token echoed unescaped, and a response that begins with an empty line. An empty
request raises IndexError and kills the server (course.md section 4, items 6, 11 and 15).

expect: blank-before-status
"""

import socket
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
print(f"echo_www listening on port {port}")
while True:
    client, address = s.accept()
    request = client.recv(1024).decode()
    path = request.split()[1]
    page = f"""
HTTP/1.0 200 OK
Content-Type: text/html

<html>
<body>
{prefix}: {path}
</body>
</html>
"""
    client.send(page.encode())
    client.close()
