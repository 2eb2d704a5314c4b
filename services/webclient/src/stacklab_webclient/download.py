"""Download the files a page links to (the course's week-5 assignment, solution download.py).

The course saved each file under its basename in the cwd (so week01/echo_client.py and week02/echo_client.py
overwrote each other) and returned N whatever happened. Here each file keeps its path relative to the page, the
count is of files actually saved, and a failed download is reported and skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from .fetch import FetchError, download


@dataclass
class Report:
    saved: list[tuple[str, Path, int]] = field(default_factory=list)  # url, local path, size
    failed: list[tuple[str, str]] = field(default_factory=list)  # url, reason


def local_path(url: str, page_url: str) -> PurePosixPath:
    """Where url goes under the destination: its path relative to the page's folder, or host/path if elsewhere."""
    link, page = urlsplit(url), urlsplit(page_url)
    page_dir = page.path.rsplit("/", 1)[0] + "/"
    if (link.scheme, link.netloc) == (page.scheme, page.netloc) and link.path.startswith(page_dir):
        relative = link.path[len(page_dir) :]
    else:
        relative = f"{link.netloc}/{link.path}"
    # decode each segment, drop empty, "." and ".." ones, and neutralise what decodes to a separator or NUL
    parts = [unquote(part).replace("/", "_").replace("\0", "_") for part in relative.split("/")]
    parts = [part for part in parts if part not in ("", ".", "..")]
    if not parts or link.path.endswith("/"):
        parts.append("index.html")
    return PurePosixPath(*parts)


def download_all(
    urls: list[str],
    page_url: str,
    dest: Path,
    timeout: float = 10.0,
    on_saved: Callable[[str, Path, int], None] | None = None,
    on_failed: Callable[[str, str], None] | None = None,
) -> Report:
    report = Report()
    for url in urls:
        target = dest / local_path(url, page_url)
        try:
            size = download(url, target, timeout)
        except (FetchError, OSError) as exc:  # e.g. HTTP 404, or the destination is not writable
            reason = str(exc) if isinstance(exc, FetchError) else f"{url}: cannot save to {target} ({exc})"
            report.failed.append((url, reason))
            if on_failed:
                on_failed(url, reason)
            continue
        report.saved.append((url, target, size))
        if on_saved:
            on_saved(url, target, size)
    return report
