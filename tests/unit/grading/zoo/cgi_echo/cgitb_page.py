"""Decodes strictly, with the error rendered into the page as the course's cgitb.enable() did (cgitb is gone
from Python 3.13: the same page by hand): a malformed query shows the traceback to anyone.

expect: traceback-shown
"""

import html
import os
import sys
import traceback
from urllib.parse import parse_qs

sys.stdout.buffer.write(b"Content-Type: text/html\n\n")
try:
    message = (parse_qs(os.environ.get("QUERY_STRING", ""), errors="strict").get("message") or ["None"])[0]
    sys.stdout.buffer.write(f"<p>Message: {html.escape(message)}</p>\n".encode())
except Exception:
    sys.stdout.buffer.write(f"<pre>{html.escape(traceback.format_exc())}</pre>\n".encode())
