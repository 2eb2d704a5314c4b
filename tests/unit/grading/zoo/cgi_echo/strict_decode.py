"""Decodes the query's escapes strictly as UTF-8: a malformed query raises, and the program dies.

expect: bad-query-crash
"""

import html
import os
import sys
from urllib.parse import parse_qs

message = (parse_qs(os.environ.get("QUERY_STRING", ""), errors="strict").get("message") or ["None"])[0]
sys.stdout.buffer.write(f"Content-Type: text/html\n\n<p>Message: {html.escape(message)}</p>\n".encode())
