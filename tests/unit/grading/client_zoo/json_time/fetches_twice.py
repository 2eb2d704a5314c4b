"""GETs the document twice: once to print it, once more for its datetime.

expect: api-extra-requests
"""

import json
import sys
import urllib.request


def get(url):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


print(json.dumps(get(sys.argv[1]), indent=2))
print(get(sys.argv[1])["datetime"])
