"""A correct echo_cgi.py: the query parsed with urllib.parse.parse_qs (the cgi module is gone from Python 3.13),
the first message HTML-escaped; a missing or empty message reads `Message: None`, as the course's did.

expect: pass
"""

import html
import os
import sys
from urllib.parse import parse_qs

messages = parse_qs(os.environ.get("QUERY_STRING", "")).get("message")
message = messages[0] if messages else None
page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Echo response</title></head>
<body><p>Message: {html.escape(str(message))}</p></body></html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page.encode())
