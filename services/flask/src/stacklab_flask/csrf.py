"""A small CSRF token: a random value in the signed session cookie, repeated in every POST form.

A cross-site page can make the browser send the cookie but cannot read it, so it cannot copy the token into its form.
"""

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def protect() -> None:
    """Abort with 400 unless the POSTed form carries the session's token."""
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, "The form's CSRF token is missing or invalid; reload the page and submit again.")
