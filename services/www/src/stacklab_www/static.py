"""ws30's static side: map a decoded URL path to a file or directory under the document root, safely.

The course prefixed `.` to the raw URI, so `/../` walked out of the docroot, and it listed dotfiles. Here the
path is resolved (symlinks included) and must stay inside the root; dotfiles are neither listed nor served.
"""

import html
import mimetypes
import os
import stat
from pathlib import Path
from urllib.parse import quote

from .server import Response, text_response

# The standard library's own table, not /etc/mime.types, so a file gets the same type on every machine.
_MIME = mimetypes.MimeTypes()
# Served as readable text: sources are shown, never executed (only the scripts directory runs code).
_TEXT_SUFFIXES = {".py", ".txt", ".sh", ".cfg", ".ini", ".md", ".rst"}

LISTING = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{links}
</body>
</html>
"""


def content_type(name: str) -> str:
    """The course's map still holds (.png image/png, .pdf application/pdf, .html text/html); .jpg is now the
    standard image/jpeg rather than the course's image/jpg; unknown types stay text/plain as in the course."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _TEXT_SUFFIXES:
        return "text/plain; charset=utf-8"
    mime, encoding = _MIME.guess_type(name, strict=False)
    if encoding:  # e.g. .tar.gz: the bytes are compressed, so don't claim the inner type
        return "application/octet-stream"
    return mime or "text/plain"


def serve(root: Path, path: str, raw_path: str) -> Response:
    """GET/HEAD of a decoded `path` (no `..` segments) under `root` (already resolved)."""
    if any(segment.startswith(".") for segment in path.split("/")):
        return not_found(path)  # dotfiles and dot-directories are private
    candidate = root.joinpath(*(segment for segment in path.split("/") if segment))
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, not a directory, symlink loop
        return not_found(path)
    if not real.is_relative_to(root):  # a symlink that points out of the document root
        return not_found(path)
    if real.is_dir():
        if not raw_path.endswith("/"):
            return text_response(301, "moved\n", [("Location", local_location(path))])
        return listing(real, path)
    return file_response(real, path)


def file_response(real: Path, path: str) -> Response:
    try:
        # O_NONBLOCK: opening a FIFO must not hang the thread; O_NOFOLLOW: no symlink swapped in after resolve()
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except PermissionError:
        return text_response(403, f"{path} forbidden\n")
    except OSError:
        return not_found(path)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # device, FIFO, socket
        os.close(fd)
        return not_found(path)
    return Response(200, content_type=content_type(real.name), file=os.fdopen(fd, "rb"), length=info.st_size)


def listing(directory: Path, path: str) -> Response:
    """Sorted entries (code-point order, as the course's sort()), dotfiles hidden, directories with a trailing /."""
    try:
        names = sorted(name for name in os.listdir(directory) if not name.startswith("."))
    except PermissionError:
        return text_response(403, f"{path} forbidden\n")
    links = ['<a href="..">..</a><br>']
    for name in names:
        slash = "/" if (directory / name).is_dir() else ""
        href = quote(name, errors="surrogateescape") + slash
        label = html.escape(_displayable(name) + slash)
        links.append(f'<a href="{html.escape(href)}">{label}</a><br>')
    page = LISTING.format(title=html.escape(path), links="\n".join(links))
    return Response(200, page.encode(), "text/html; charset=utf-8")


def local_location(path: str) -> str:
    """The directory's URL with its slash, always on this host: `//x` or `/\\x` would be read by browsers as
    another host (an open redirect), so empty segments are dropped and each segment is percent-encoded."""
    segments = (quote(segment, safe="", errors="surrogateescape") for segment in path.split("/") if segment)
    return "/" + "".join(segment + "/" for segment in segments)


def not_found(path: str) -> Response:
    return text_response(404, f"{path} not found\n")


def _displayable(name: str) -> str:
    """File names that are not valid UTF-8 arrive with surrogate escapes; show them with replacement marks."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
