"""Escapes the message, then escapes the page's text again: '&' shows as '&amp;amp;'.

expect: double-escaped
"""

import html
import os
import sys
from urllib.parse import parse_qs

message = (parse_qs(os.environ.get("QUERY_STRING", "")).get("message") or ["None"])[0]
text = html.escape(f"Message: {html.escape(message)}")
sys.stdout.buffer.write(
    f"Content-Type: text/html; charset=utf-8\n\n<title>Echo response</title><p>{text}</p>\n".encode()
)
