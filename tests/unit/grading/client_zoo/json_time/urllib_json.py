"""A correct json_time client: urllib.request and json; an HTTP error or a malformed document is reported on
stderr with exit status 1.

expect: pass
"""

import json
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        document = json.load(response)
except urllib.error.HTTPError as exc:
    sys.exit(f"{sys.argv[1]}: the server answered {exc.code} {exc.reason}")
except ValueError as exc:
    sys.exit(f"{sys.argv[1]}: the answer is not JSON ({exc})")
print(json.dumps(document, indent=2, sort_keys=True))
print(document["datetime"])
