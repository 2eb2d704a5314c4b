"""A small JSON web-API client (the course's json_time.py and github_api.py, whose services are gone)."""

import json
from typing import Any

from .fetch import FetchError, fetch


def get_json(url: str, timeout: float = 10.0) -> Any:
    page = fetch(url, timeout, accept="application/json")
    try:
        return json.loads(page.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"{url}: not JSON (Content-Type {page.content_type}): {exc}") from None


def select_key(document: Any, key: str) -> Any:
    if not isinstance(document, dict):
        raise KeyError(f"the document is a JSON {type(document).__name__}, not an object with keys")
    if key not in document:
        raise KeyError(f"no key {key!r}; keys: {', '.join(map(str, document)) or '(none)'}")
    return document[key]


def render(value: Any) -> str:
    """Strings as they are, everything else as indented JSON."""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
