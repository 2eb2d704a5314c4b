"""Keeps the hrefs that contain '.py' anywhere, so notes.py.txt is fetched too.

expect: web-fetches-other
"""

import os
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

url, n = sys.argv[1], int(sys.argv[2])
hrefs = [h for h in re.findall(r'href="([^"]*)"', urllib.request.urlopen(url).read().decode()) if ".py" in h]
for href in hrefs[:n]:
    link = urljoin(url, href)
    Path(os.path.basename(link)).write_bytes(urllib.request.urlopen(link).read())
print(min(n, len(hrefs)))
