"""CSRF protection for the history form: a signed double-submit cookie.

The browser gets a random cookie; the form carries HMAC-SHA256(key, cookie). A POST is accepted only when the
form's token matches the cookie it arrives with. Another site can neither read the cookie nor forge the token
(it lacks the key), so it cannot make a visitor's browser post a message.
"""

import hashlib
import hmac
import re
import secrets

COOKIE = "wsgi_csrf"
FIELD = "csrf_token"
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def new_cookie() -> str:
    return secrets.token_urlsafe(32)


def well_formed(cookie: str | None) -> bool:
    return cookie is not None and _COOKIE_SHAPE.fullmatch(cookie) is not None


def form_token(key: bytes, cookie: str) -> str:
    return hmac.new(key, cookie.encode("ascii"), hashlib.sha256).hexdigest()


def valid(key: bytes, cookie: str | None, token: str | None) -> bool:
    if not well_formed(cookie) or not token:
        return False
    return hmac.compare_digest(form_token(key, cookie), token)
