"""Reports an HTTP error cleanly, but a malformed document ends in json's traceback.

expect: api-malformed
"""

import json
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1]) as response:
        body = response.read()
except urllib.error.HTTPError as exc:
    sys.exit(f"error: {exc.code} {exc.reason}")
document = json.loads(body)
print(json.dumps(document, indent=2))
print(document["datetime"])
