"""Writes the header as the 2012 echo_wsgi did, `Content_type: text/HTML`: no Content-Type at all.

expect: content-type-name
"""

import html
import os
import sys
from urllib.parse import parse_qs

message = (parse_qs(os.environ.get("QUERY_STRING", "")).get("message") or ["None"])[0]
sys.stdout.buffer.write(f"Content_type: text/HTML\n\n<p>Message: {html.escape(message)}</p>\n".encode())
