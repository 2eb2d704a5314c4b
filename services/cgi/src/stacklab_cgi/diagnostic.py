"""The course's cgi_test.py, which called cgi.test(): what a CGI program receives from the server.

It shows the working directory, the command line, the form fields and the CGI variables. Unlike cgi.test(), which
dumped the whole environment, it shows only an allow-list of CGI variables and request headers, without cookies,
credentials or anything named like a secret, and escapes all of it. Apache also limits who may call it, because
it reflects request data: by default the machine itself only (`cgi_diagnostic_allow` in the site template).
"""

import html
import os
import sys
from collections.abc import Iterable, Mapping
from typing import BinaryIO

from stacklab_cgi.request import read_form, text
from stacklab_cgi.response import Response, html_page, run

CGI_VARIABLES = frozenset(
    {
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "GATEWAY_INTERFACE",
        "HTTPS",
        "PATH_INFO",
        "QUERY_STRING",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_PORT",
        "REQUEST_METHOD",
        "REQUEST_SCHEME",
        "REQUEST_URI",
        "SCRIPT_NAME",
    }
)
HIDDEN_WORDS = ("AUTH", "COOKIE", "CREDENTIAL", "KEY", "PASS", "SECRET", "SESSION", "TOKEN", "CSRF")


def shown(name: str) -> bool:
    """Whether the diagnostic may show this environment variable."""
    if any(word in name for word in HIDDEN_WORDS) or name == "HTTP_PROXY":  # HTTP_PROXY: the httpoxy header
        return False
    return name in CGI_VARIABLES or name.startswith(("SERVER_", "HTTP_"))


# What the page tells its reader about who else can see it (the site template's default allow-list).
LOOPBACK_ONLY = "This page answers requests from this machine only (loopback); Apache refuses every other client."


def diagnostic(environ: Mapping[str, str], stdin: BinaryIO) -> Response:
    form = read_form(environ, stdin, keep_blank_values=True)
    variables = {name: text(value) for name, value in environ.items() if shown(name)}
    hidden = len(environ) - len(variables)
    sections = [
        "<h1>CGI diagnostic</h1>",
        f"<p>{LOOPBACK_ONLY}</p>",
        "<h2>Current working directory</h2>",
        f"<p>{html.escape(text(os.getcwd()))}</p>",
        "<h2>Command line arguments</h2>",
        _list(text(arg) for arg in sys.argv),
        "<h2>Form contents</h2>",
        _table((name, ", ".join(values)) for name, values in sorted(form.items())) if form else "<p>No fields.</p>",
        "<h2>CGI environment</h2>",
        _table(sorted(variables.items())),
        f"<p>{hidden} other environment variables are not shown.</p>",
    ]
    return Response(200, html_page("CGI diagnostic", "\n".join(sections)))


def _list(items: Iterable[str]) -> str:
    return "<ol>\n" + "".join(f"<li>{html.escape(item)}</li>\n" for item in items) + "</ol>"


def _table(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>\n" for name, value in rows)
    return "<table>\n" + cells + "</table>"


def main() -> int:
    return run(diagnostic, "cgi_test.py")


if __name__ == "__main__":
    raise SystemExit(main())
