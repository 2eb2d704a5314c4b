"""A correct downloader: urllib.request and html.parser (the standard library's stand-in for BeautifulSoup),
hrefs resolved with urljoin, saved in binary under their basenames; prints how many it saved.

expect: pass
"""

import posixpath
import sys
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


class Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and (href := dict(attrs).get("href")):
            self.hrefs.append(href)


url, n = sys.argv[1], int(sys.argv[2])
parser = Anchors()
with urllib.request.urlopen(url) as response:
    parser.feed(response.read().decode())
saved = 0
for href in parser.hrefs:
    if saved == n:
        break
    if href.endswith(".py"):
        link = urljoin(url, href)
        with urllib.request.urlopen(link) as response, open(posixpath.basename(urlsplit(link).path), "wb") as f:
            f.write(response.read())
        saved += 1
print(saved)
