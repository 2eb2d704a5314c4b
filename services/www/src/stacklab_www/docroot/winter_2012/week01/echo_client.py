"""Placeholder for the course's week01/echo_client.py: send "Hello, world" and print the reply."""

import socket

with socket.create_connection(("localhost", 50000)) as conn:
    conn.sendall(b"Hello, world")
    print(conn.recv(1024).decode())
