"""Saves each file under its whole path, slashes made underscores: winter_2012_week01_echo_server.py.

expect: web-file-name
"""

import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

url, n = sys.argv[1], int(sys.argv[2])
hrefs = [h for h in re.findall(r'href="([^"]*)"', urllib.request.urlopen(url).read().decode()) if h.endswith(".py")]
for href in hrefs[:n]:
    link = urljoin(url, href)
    name = urlsplit(link).path.strip("/").replace("/", "_")
    Path(name).write_bytes(urllib.request.urlopen(link).read())
print(min(n, len(hrefs)))
