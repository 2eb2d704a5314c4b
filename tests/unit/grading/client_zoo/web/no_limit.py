"""Downloads every .py file of the page, whatever N says.

expect: web-no-limit
"""

import os
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

url = sys.argv[1]
hrefs = [h for h in re.findall(r'href="([^"]*)"', urllib.request.urlopen(url).read().decode()) if h.endswith(".py")]
for href in hrefs:
    link = urljoin(url, href)
    Path(os.path.basename(link)).write_bytes(urllib.request.urlopen(link).read())
print(len(hrefs))
