"""Ignores its argument: builds the URL of the dead service's path on the host given, as if the argument were a
host and port.

expect: json-no-fetch
"""

import json
import sys
import urllib.request
from urllib.parse import urlsplit

url = f"http://{urlsplit(sys.argv[1]).netloc}/time"
with urllib.request.urlopen(url) as response:
    document = json.load(response)
print(json.dumps(document, indent=2))
print(document["datetime"])
