"""A correct downloader written differently: http.client and a regular expression for the hrefs.

expect: pass
"""

import http.client
import re
import sys
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit


def get(url: str) -> bytes:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"{url}: {response.status} {response.reason}")
        return response.read()
    finally:
        connection.close()


url, n = sys.argv[1], int(sys.argv[2])
hrefs = re.findall(r'href="([^"]+)"', get(url).decode())
links = [urljoin(url, href) for href in hrefs if href.endswith(".py")][:n]
for link in links:
    with open(PurePosixPath(urlsplit(link).path).name, "wb") as saved:
        saved.write(get(link))
print(len(links))
