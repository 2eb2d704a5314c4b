"""Decodes the query as Latin-1 (a Python 2 habit): UTF-8 text comes back as mojibake.

expect: non-ascii
"""

import html
import os
import sys
from urllib.parse import parse_qs

message = (parse_qs(os.environ.get("QUERY_STRING", ""), encoding="latin-1").get("message") or ["None"])[0]
sys.stdout.buffer.write(f"Content-Type: text/html\n\n<p>Message: {html.escape(message)}</p>\n".encode())
