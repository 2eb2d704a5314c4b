"""The CGI health check behind Apache's /healthz: when it answers 200 "ok", Apache, mod_cgid, the interpreter on
the scripts' first line and this package all work."""

from collections.abc import Mapping
from typing import BinaryIO

from stacklab_cgi.request import HttpError
from stacklab_cgi.response import TEXT, Response, run


def healthz(environ: Mapping[str, str], stdin: BinaryIO) -> Response:
    if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
        raise HttpError(405, "use GET", (("Allow", "GET, HEAD"),))
    return Response(200, "ok\n", TEXT)


def main() -> int:
    return run(healthz, "healthz.py")


if __name__ == "__main__":
    raise SystemExit(main())
