"""HTTP(S) and file: fetching with urllib, turned into one clear error type for the command line."""

import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

USER_AGENT = "stacklab-webclient/0.1"
MAX_PAGE_BYTES = 10 * 1024 * 1024  # pages and JSON documents are read into memory: cap them
MAX_FILE_BYTES = 50 * 1024 * 1024  # downloads are streamed to disk, capped all the same
SCHEMES = ("http", "https", "file")  # file: lets the lab run against a local clone, as the course advised


class FetchError(Exception):
    """A URL that could not be fetched, with a message fit for the user."""


@dataclass
class Page:
    url: str  # after redirects
    body: bytes
    headers: Message

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type() if self.headers.get("Content-Type") else "unknown"

    @property
    def charset(self) -> str | None:
        return self.headers.get_content_charset()


def _open(url: str, timeout: float, accept: str):
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in SCHEMES:
        raise FetchError(f"{url}: only {', '.join(SCHEMES)} URLs are supported")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})  # noqa: S310
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked above
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: cannot reach it ({exc.reason})") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc or type(exc).__name__}") from None


def fetch(url: str, timeout: float = 10.0, accept: str = "*/*", limit: int = MAX_PAGE_BYTES) -> Page:
    with _open(url, timeout, accept) as response:
        try:
            body = response.read(limit + 1)
        except (http.client.HTTPException, OSError) as exc:
            raise FetchError(f"{url}: transfer failed ({exc or type(exc).__name__})") from None
        if len(body) > limit:
            raise FetchError(f"{url}: larger than {limit} bytes")
        return Page(response.geturl(), body, response.headers)


def download(url: str, path: Path, timeout: float = 10.0, limit: int = MAX_FILE_BYTES) -> int:
    """Save url to path; returns its size. Written to a temporary file first, so a failure leaves no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(url, timeout, "*/*") as response:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".download-")
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := response.read(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"{url}: larger than {limit} bytes")
                    out.write(chunk)
            os.replace(tmp_name, path)
            return size
        except (http.client.HTTPException, OSError) as exc:
            raise FetchError(f"{url}: transfer failed ({exc or type(exc).__name__})") from None
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
