"""A correct GitHub API downloader on http.client, one connection reused (it reopens after each HTTP/1.0
answer): the list, then one GET per wanted blob; prints the count.

expect: pass
"""

import http.client
import json
import os
import sys
from urllib.parse import urlsplit

base, n = urlsplit(sys.argv[1]), int(sys.argv[2])
connection = http.client.HTTPConnection(base.hostname, base.port, timeout=10)


def get(path):
    connection.request("GET", base.path + path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        print(f"GET {path}: {response.status} {response.reason}", file=sys.stderr)
        sys.exit(1)
    return body


try:
    blobs = json.loads(get("/blob/all/jon-jacky/uw_python/gh-pages"))["blobs"]
except (json.JSONDecodeError, KeyError) as exc:
    print(f"the blob list is malformed: {exc}", file=sys.stderr)
    sys.exit(1)
count = 0
for name, sha in sorted(blobs.items()):
    if count < n and name.startswith("winter_2012") and name.endswith(".py"):
        with open(os.path.basename(name), "wb") as f:
            f.write(get(f"/blob/show/jon-jacky/uw_python/{sha}"))
        count += 1
print(count)
