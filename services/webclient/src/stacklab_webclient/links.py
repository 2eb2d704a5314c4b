"""The links of an HTML page as absolute URLs (the course's soup.py and scrape lab, with BeautifulSoup 4)."""

from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup


def page_links(html: bytes, page_url: str, charset: str | None = None) -> list[str]:
    """Every <a href> resolved against the page (or its <base href>), without fragments, each once, in page order.

    Only http(s) links are kept, plus file: links when the page itself is a file: URL (so a page fetched over
    HTTP cannot make the downloader read local files).
    """
    soup = BeautifulSoup(html, "html.parser", from_encoding=charset)
    base_tag = soup.find("base", href=True)
    base = urljoin(page_url, base_tag["href"]) if base_tag else page_url
    schemes = {"http", "https"} | ({"file"} if urlsplit(page_url).scheme == "file" else set())
    links: list[str] = []
    for anchor in soup.find_all("a", href=True):
        parts = urlsplit(urldefrag(urljoin(base, anchor["href"].strip())).url)
        url = urlunsplit(parts)  # the scheme lower-cased, as urlsplit reads it
        if parts.scheme in schemes and url not in links:
            links.append(url)
    return links


def is_external(url: str, page_url: str) -> bool:
    """On another site than the page (the course's "external" links were its absolute http ones)."""
    link, page = urlsplit(url), urlsplit(page_url)
    return (link.scheme, link.netloc) != (page.scheme, page.netloc)


def has_suffix(url: str, suffix: str) -> bool:
    return unquote(urlsplit(url).path).endswith(suffix)
