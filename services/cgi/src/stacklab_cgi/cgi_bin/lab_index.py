#!/usr/bin/python3
"""Redirect to the lab index (every page links here).

stacklab-cgi-install copies this file into Apache's cgi-bin and rewrites the first line to the interpreter of the
virtualenv that holds stacklab_cgi; the code lives in stacklab_cgi.echo.
"""

import sys

try:
    from stacklab_cgi.lab_index import main
except ImportError as error:  # the interpreter above cannot see the package: say why in the error log, not the page
    sys.stderr.write(f"{sys.argv[0]}: {error} (interpreter {sys.executable}); install with stacklab-cgi-install\n")
    sys.stdout.write("Status: 500 Internal Server Error\nContent-Type: text/plain; charset=utf-8\n\n")
    sys.stdout.write("500 Internal Server Error\n")
    raise SystemExit(1) from None

raise SystemExit(main())
