"""Joins each href to the site's root instead of the page's directory: /week01/echo_server.py, not found.

expect: web-relative-urls
"""

import os
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

url, n = sys.argv[1], int(sys.argv[2])
root = "{0.scheme}://{0.netloc}/".format(urlsplit(url))
hrefs = [h for h in re.findall(r'href="([^"]*)"', urllib.request.urlopen(url).read().decode()) if h.endswith(".py")]
saved = 0
for href in hrefs[:n]:
    link = href if href.startswith("http") else root + href
    try:
        Path(os.path.basename(link)).write_bytes(urllib.request.urlopen(link).read())
        saved += 1
    except OSError as exc:
        print(link, exc)
print(saved)
