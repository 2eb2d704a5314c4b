"""Downloads every wanted blob, whatever N says.

expect: gh-no-limit
"""

import json
import posixpath
import sys
import urllib.request

base = sys.argv[1]
blobs = json.load(urllib.request.urlopen(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
names = [name for name in blobs if name.startswith("winter_2012") and name.endswith(".py")]
for name in names:
    data = urllib.request.urlopen(f"{base}/blob/show/jon-jacky/uw_python/{blobs[name]}").read()
    with open(posixpath.basename(name), "wb") as f:
        f.write(data)
print(len(names))
