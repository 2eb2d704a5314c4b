"""Prints the dict itself: Python's repr (single quotes, False), not JSON, and on one line.

expect: json-not-pretty
"""

import json
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1]) as response:
    document = json.load(response)
print(document)
print(document["datetime"])
