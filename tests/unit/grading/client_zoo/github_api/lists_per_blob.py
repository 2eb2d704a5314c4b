"""Asks for the whole blob list again before each download.

expect: api-extra-requests
"""

import json
import posixpath
import sys
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])


def blobs():
    return json.load(urllib.request.urlopen(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]


names = [name for name in blobs() if name.startswith("winter_2012") and name.endswith(".py")][:n]
for name in names:
    data = urllib.request.urlopen(f"{base}/blob/show/jon-jacky/uw_python/{blobs()[name]}").read()
    with open(posixpath.basename(name), "wb") as f:
        f.write(data)
print(len(names))
