"""Placeholder for the course's week05/ws30.py: the thirty-minute web server with date.html and .py scripts."""

MIME = {".jpg": "image/jpg", ".gif": "image/gif", ".png": "image/png", ".html": "text/html", ".pdf": "application/pdf"}
