"""The course's week-5 json_time.py (course.md 1.10), ported to Python 3 as it was: urlopen, json.loads, print
the document pretty and its datetime; no error handling, so a 404 ends in a traceback.

expect: api-http-error
"""

import json
import sys
import urllib.request

page = urllib.request.urlopen(sys.argv[1]).read()
time = json.loads(page)
print(json.dumps(time, indent=4))
print(time["datetime"])
