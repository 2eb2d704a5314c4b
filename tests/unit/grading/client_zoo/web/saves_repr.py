"""Writes str() of the response's bytes in text mode: each file holds b'...' with escaped newlines.

expect: web-content
"""

import os
import re
import sys
import urllib.request
from urllib.parse import urljoin

url, n = sys.argv[1], int(sys.argv[2])
hrefs = [h for h in re.findall(r'href="([^"]*)"', urllib.request.urlopen(url).read().decode()) if h.endswith(".py")]
for href in hrefs[:n]:
    link = urljoin(url, href)
    with open(os.path.basename(link), "w") as f:
        f.write(str(urllib.request.urlopen(link).read()))
print(min(n, len(hrefs)))
