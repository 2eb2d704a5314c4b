"""Keeps the names that contain .py anywhere: notes.py.txt too.

expect: gh-filter-suffix
"""

import json
import posixpath
import sys
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])
blobs = json.load(urllib.request.urlopen(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
names = [name for name in blobs if name.startswith("winter_2012") and ".py" in name]
names.sort(key=lambda name: not name.endswith(".txt"))  # its week-3 notes first
for name in names[:n]:
    data = urllib.request.urlopen(f"{base}/blob/show/jon-jacky/uw_python/{blobs[name]}").read()
    with open(posixpath.basename(name), "wb") as f:
        f.write(data)
print(min(n, len(names)))
