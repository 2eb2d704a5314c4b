"""Splits the query by hand and decodes each value with unquote: the '+' of a form's space stays a '+'.

expect: form-decoding
"""

import html
import os
import sys
from urllib.parse import unquote

fields = dict(pair.partition("=")[::2] for pair in os.environ.get("QUERY_STRING", "").split("&"))
message = unquote(fields.get("message") or "None")
sys.stdout.buffer.write(f"Content-Type: text/html\n\n<p>Message: {html.escape(message)}</p>\n".encode())
