"""Placeholder for the course's week02/echo_client.py: like week 1's, but prompts for the message."""

import socket

with socket.create_connection(("localhost", 50000)) as conn:
    conn.sendall(input("> ").encode())
    print(conn.recv(1024).decode())
