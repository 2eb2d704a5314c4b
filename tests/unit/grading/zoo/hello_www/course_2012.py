"""The course's week-4 hello_www.py (course.md 1.6), ported to Python 3 as it was: serial, one recv(1024) whose
content is ignored, then a fixed text that begins with an empty line and has 'Content-Type text/html' without its
colon. Modern clients reject it (course.md section 4, item 6).

expect: blank-before-status
"""

import socket
import sys

port = int(sys.argv[1])
page = """
HTTP/1.0 200 OK
Content-Type text/html

<html>
<body>
Hello, world!
</body>
</html>
"""
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
print(f"hello_www listening on port {port}")
while True:
    client, address = s.accept()
    request = client.recv(1024)
    client.send(page.encode())
    client.close()
