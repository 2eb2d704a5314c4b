"""A correct json_time client written with http.client: the status checked by hand, the body decoded with
json.loads, four-space indentation.

expect: pass
"""

import http.client
import json
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
connection.request("GET", url.path)
response = connection.getresponse()
body = response.read()
if response.status != 200:
    print(f"error: GET {url.path} answered {response.status} {response.reason}", file=sys.stderr)
    sys.exit(2)
try:
    document = json.loads(body)
except json.JSONDecodeError:
    print(f"error: GET {url.path} did not answer JSON: {body[:40]!r}", file=sys.stderr)
    sys.exit(2)
print(json.dumps(document, indent=4))
print(document["datetime"])
