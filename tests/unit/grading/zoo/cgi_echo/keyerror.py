"""Takes form['message'][0]: a missing or empty message (parse_qs drops blank values) raises KeyError, and the
program dies before printing anything.

expect: empty-message-crash
"""

import html
import os
import sys
from urllib.parse import parse_qs

message = parse_qs(os.environ.get("QUERY_STRING", ""))["message"][0]
sys.stdout.buffer.write(f"Content-Type: text/html\n\n<p>Message: {html.escape(message)}</p>\n".encode())
