"""Saves each blob under its whole name, directories and all, not its basename.

expect: gh-file-name
"""

import json
import os
import sys
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])
blobs = json.load(urllib.request.urlopen(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
names = [name for name in blobs if name.startswith("winter_2012") and name.endswith(".py")][:n]
for name in names:
    data = urllib.request.urlopen(f"{base}/blob/show/jon-jacky/uw_python/{blobs[name]}").read()
    os.makedirs(os.path.dirname(name), exist_ok=True)
    with open(name, "wb") as f:
        f.write(data)
print(len(names))
