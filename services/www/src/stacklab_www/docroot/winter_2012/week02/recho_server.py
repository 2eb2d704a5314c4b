"""Placeholder for the course's week02/recho_server.py: echo every message on one connection."""

import socket

with socket.create_server(("", 50002)) as server:
    conn, addr = server.accept()
    with conn:
        while data := conn.recv(1024):
            conn.sendall(b"uw-student: " + data)
