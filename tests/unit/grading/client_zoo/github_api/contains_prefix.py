"""Keeps the names that contain winter_2012 anywhere, not only at their start.

expect: gh-filter-prefix
"""

import json
import posixpath
import sys
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])
blobs = json.load(urllib.request.urlopen(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
saved = 0
for name in sorted(blobs):
    if saved < n and "winter_2012" in name and name.endswith(".py"):
        data = urllib.request.urlopen(f"{base}/blob/show/jon-jacky/uw_python/{blobs[name]}").read()
        with open(posixpath.basename(name), "wb") as f:
            f.write(data)
        saved += 1
print(saved)
