"""The course's week06/cgi-bin/echo_cgi.py, ported to Python 3 as it was (course.md 1.11), with parse_qs in place
of cgi.FieldStorage (gone in 3.13), which drops blank values as it did: the first message, or None, inserted
unescaped, and the stray </form>.

expect: unescaped-message
"""

import os
from urllib.parse import parse_qs

form = parse_qs(os.environ.get("QUERY_STRING", ""))
message = form.get("message", [None])[0]
print("Content-type: text/html")
print()
print("<html><head><title>Echo response</title></head><body>")
print(f"Message: {message}")
print("</form></body></html>")
