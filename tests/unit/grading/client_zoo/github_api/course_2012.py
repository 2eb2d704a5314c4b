"""The course's week-6 download.py, its API half (course.md 1.10), ported to Python 3 as it was:
github_find_blobs filters the v2 blob list, github_download_many stops after n and returns n even when fewer
files were downloaded (the [bug]).

expect: gh-count
"""

import json
import os
import sys
import urllib.request

base, n = sys.argv[1], int(sys.argv[2])
blobs_url = base + "/blob/all/jon-jacky/uw_python/gh-pages"
blob_url = base + "/blob/show/jon-jacky/uw_python/"


def github_find_blobs(blobs_url, prefix, suffix):
    blobs = json.loads(urllib.request.urlopen(blobs_url).read())["blobs"]
    return {k: v for k, v in blobs.items() if k.startswith(prefix) and k.endswith(suffix)}


def github_download_many(n, blobs):
    for i, (name, sha) in enumerate(blobs.items()):
        if i >= n:
            break
        data = urllib.request.urlopen(blob_url + sha).read()
        with open(os.path.basename(name), "wb") as f:
            f.write(data)
    return n


print(github_download_many(n, github_find_blobs(blobs_url, "winter_2012", ".py")))
