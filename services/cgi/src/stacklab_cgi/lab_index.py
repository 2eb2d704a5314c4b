"""cgi-bin/lab_index.py: a redirect to the lab index, which every page links to (the static form page cannot know
the host it was asked for, so the link goes through here).

Target: CGI_LAB_URL, else http://<the host asked for>:LAB_PORT/ (default 8090, stack.env's), where the lab index is
in compose and on a VM. Apache passes a CGI program only the variables its site sets (SetEnv).
"""

import re
from collections.abc import Mapping
from typing import BinaryIO

from stacklab_cgi.request import HttpError
from stacklab_cgi.response import TEXT, Response, run

# A Host header: a name or an IPv4 or [IPv6] address, then maybe a port (group 1: without the port).
HOST = re.compile(r"([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE)
DEFAULT_LAB_PORT = "8090"


def lab_url(environ: Mapping[str, str]) -> str:
    if url := environ.get("CGI_LAB_URL"):
        return url
    port = environ.get("LAB_PORT") or DEFAULT_LAB_PORT
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"LAB_PORT must be a TCP port number, not {port!r}")
    # Both come from the client's Host header: only a well-formed one goes into the Location.
    for candidate in (environ.get("HTTP_HOST", ""), environ.get("SERVER_NAME", "")):
        if match := HOST.fullmatch(candidate):
            return f"http://{match.group(1).lower()}:{port}/"
    return f"http://localhost:{port}/"


def lab_index(environ: Mapping[str, str], stdin: BinaryIO) -> Response:
    if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
        raise HttpError(405, "use GET", (("Allow", "GET, HEAD"),))
    url = lab_url(environ)
    return Response(302, f"The lab index is at {url}\n", TEXT, (("Location", url),))


def main() -> int:
    return run(lab_index, "lab_index.py")


if __name__ == "__main__":
    raise SystemExit(main())
