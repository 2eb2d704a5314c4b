"""A correct GitHub API downloader: urllib.request and json, the blobs filtered with startswith and endswith,
each saved in binary under its basename; prints how many it saved; errors reported, exit status 1.

expect: pass
"""

import json
import posixpath
import sys
import urllib.error
import urllib.request

REPO = "jon-jacky/uw_python"
base, n = sys.argv[1], int(sys.argv[2])


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        sys.exit(f"{url}: {exc.code} {exc.reason}")


try:
    blobs = json.loads(get(f"{base}/blob/all/{REPO}/gh-pages"))["blobs"]
except (ValueError, KeyError, TypeError) as exc:
    sys.exit(f"the blob list is not the API's JSON: {exc}")
wanted = [name for name in blobs if name.startswith("winter_2012") and name.endswith(".py")]
saved = 0
for name in wanted[:n]:
    with open(posixpath.basename(name), "wb") as f:
        f.write(get(f"{base}/blob/show/{REPO}/{blobs[name]}"))
    saved += 1
print(saved)
