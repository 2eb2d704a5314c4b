"""Prints the document pretty but forgets the datetime key.

expect: json-no-datetime
"""

import json
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1]) as response:
    print(json.dumps(json.load(response), indent=2))
