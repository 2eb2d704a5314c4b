"""Placeholder for the course's week04/hello_www.py: answer any request with a Hello, world! page."""

PAGE = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>Hello, world!</body></html>"
