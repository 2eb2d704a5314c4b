"""ws30, the thirty-minute web server (course weeks 4-5, port 8080), with the week-4 assignment's extensions.

Faithful: static files and sorted directory listings from a document root, 301 adding the trailing slash of a
directory, `404 <path> not found` as text/plain, `Server: ws30`, the reason phrase `Okay` for 200 (and `Moved`
for 301), `…date.html` answering `PREFIX: <datetime>`, and `/print_time.py` answering the script's output.
Modern fixes (course.md §4 items 7, 11, 16):
- flags instead of positional arguments (the course took a single argument as the host, not the port);
- CRLF, Content-Length, Date, no extra newline after the body, types from `mimetypes` (.jpg is image/jpeg);
- URL-decoding and query stripping; GET and HEAD only (405 for other methods, 501 for unknown ones);
- nothing outside the document root is ever served (`..` is refused, symlinks out are not followed), dotfiles
  are hidden, and only allow-listed scripts run (see script_runner); other `.py` files are shown as text.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from stacklab_core.runtime import log

from .script_runner import BUNDLED_SCRIPTS, ScriptRunner
from .server import HttpServer, Response, common_arguments, text_response
from .static import serve
from .wire import HttpError, Request

DEMO_ROOT = Path(__file__).parent / "docroot"
KNOWN_METHODS = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}
REASONS = {200: "Okay", 301: "Moved"}  # the course's own reason phrases; clients ignore the phrase
HEALTH_PATH = "/healthz"  # answered before the file system, like date.html


class Ws30:
    def __init__(self, root: Path, prefix: str, scripts: ScriptRunner | None):
        self.root = root.resolve()
        self.prefix = prefix
        self.scripts = scripts

    def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            if request.method in KNOWN_METHODS:
                return text_response(405, f"{request.method} not allowed\n", [("Allow", "GET, HEAD")])
            return text_response(501, f"{request.method} not implemented\n")
        raw_path = request_path(request.target)
        path = decode_path(raw_path)
        if path == HEALTH_PATH:
            return self.health()
        if path.endswith("date.html"):  # as in the course: any such path, checked before the file system
            return text_response(200, f"{self.prefix}: {datetime.datetime.now()}\n")
        if self.scripts and (script := self.scripts.find(path)):
            return self.scripts.run(script, path)
        return serve(self.root, path, raw_path)

    def health(self) -> Response:
        """200 when the document root can be listed, 503 otherwise (for Docker and systemd health checks)."""
        try:
            os.listdir(self.root)
        except OSError as exc:
            return text_response(503, f"document root unreadable: {exc.strerror}\n")
        return text_response(200, "ok\n")


def request_path(target: str) -> str:
    """The path part of an origin-form (`/a?b`) or absolute-form (`http://h/a?b`) target, still encoded."""
    if target.startswith("/"):
        return target.split("?", 1)[0].split("#", 1)[0]
    if target.lower().startswith(("http://", "https://")):
        return urlsplit(target).path or "/"
    raise HttpError(400, "request target must be a path")


def decode_path(raw_path: str) -> str:
    """Percent-decode; refuse what could leave the root or break the file system calls."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        raise HttpError(400, "path is not valid UTF-8") from None
    if "\0" in path:
        raise HttpError(400, "NUL in path")
    if ".." in path.split("/"):  # also catches %2e%2e and ..%2f once decoded
        raise HttpError(400, "path escapes the document root")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = common_arguments("The thirty-minute web server: static files and allow-listed scripts.", "WS30_PORT", 8080)
    parser.add_argument(
        "--root", type=Path, default=os.environ.get("WS30_ROOT") or ".", help="document root (env WS30_ROOT; cwd)"
    )
    parser.add_argument("--demo", action="store_true", help=f"serve the bundled demo document root ({DEMO_ROOT})")
    parser.add_argument(
        "--scripts",
        type=Path,
        default=os.environ.get("WS30_SCRIPTS") or BUNDLED_SCRIPTS,
        help="directory of allow-listed scripts run as /NAME.py (env WS30_SCRIPTS; the bundled print_time.py)",
    )
    parser.add_argument("--no-scripts", action="store_true", help="run no scripts at all")
    parser.add_argument("--script-timeout", type=float, default=5.0, help="seconds before a script is killed (5)")
    args = parser.parse_args(argv)
    root = DEMO_ROOT if args.demo else args.root
    if not root.is_dir():
        parser.error(f"document root {root} is not a directory")
    scripts = None if args.no_scripts else ScriptRunner(args.scripts, args.script_timeout)
    log(f"ws30 document root {root.resolve()}, scripts {scripts.directory if scripts else 'off'}")
    server = HttpServer("ws30", Ws30(root, args.prefix, scripts), args, server_header="ws30", reasons=REASONS)
    return server.serve_forever()


if __name__ == "__main__":
    raise SystemExit(main())
