"""Takes N first and the URL second: run as `client URL N`, it dies on int(URL) before fetching anything.

expect: web-no-fetch
"""

import sys
import urllib.request

n, url = int(sys.argv[1]), sys.argv[2]
print(len(urllib.request.urlopen(url).read()))
