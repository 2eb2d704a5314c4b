"""The course's week-6 download.py (course.md 1.10), ported to Python 3 as it was: soup_find_urls, then
url_download_many, which stops after n and returns n even when fewer files were downloaded (the [bug]).

expect: web-count
"""

import os
import re
import sys
import urllib.request


def soup_find_urls(page, prefix, suffix):
    return [h for h in re.findall(r'href="([^"]*)"', page) if h.startswith(prefix) and h.endswith(suffix)]


def url_download(url, path):
    data = urllib.request.urlopen(url).read()
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def url_download_many(n, siteurl, urls):
    sitedir = os.path.dirname(siteurl)
    for i, url in enumerate(urls):
        if i >= n:
            break
        if not url.startswith("http"):
            url = sitedir + "/" + url
        url_download(url, os.path.basename(url))
    return n


siteurl, n = sys.argv[1], int(sys.argv[2])
page = urllib.request.urlopen(siteurl).read().decode()
print(url_download_many(n, siteurl, soup_find_urls(page, "", ".py")))
