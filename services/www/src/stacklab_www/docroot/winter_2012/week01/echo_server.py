"""Placeholder for the course's week01/echo_server.py: one recv, one reply with the prefix, close."""

import socket

with socket.create_server(("", 50000)) as server:
    conn, addr = server.accept()
    with conn:
        conn.sendall(b"uw-student: " + conn.recv(1024))
