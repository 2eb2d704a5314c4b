"""Reports an HTTP error cleanly, but a malformed blob list ends in json's traceback.

expect: api-malformed
"""

import json
import posixpath
import sys
import urllib.error
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])


def get(url):
    try:
        return urllib.request.urlopen(url).read()
    except urllib.error.HTTPError as exc:
        sys.exit(f"{url}: {exc.code}")


blobs = json.loads(get(f"{base}/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
names = [name for name in blobs if name.startswith("winter_2012") and name.endswith(".py")][:n]
for name in names:
    with open(posixpath.basename(name), "wb") as f:
        f.write(get(f"{base}/blob/show/jon-jacky/uw_python/{blobs[name]}"))
print(len(names))
