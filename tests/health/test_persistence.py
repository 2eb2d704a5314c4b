"""Compose only, disruptive: what users stored survives `docker compose down` then `up` (named volumes).

Django users, books and sessions live in PostgreSQL (volume django-db); the WSGI and Flask message histories in
SQLite (wsgi-data, flask-data). A new user and a logged-in session with a cart are made before; after, the same
cookie is still logged in with the same cart, the new user still logs in, and the WSGI and Flask messages are
still listed. (jon and the books alone would prove nothing: a fresh database gets them again from the seed.)
"""

import pytest
import requests
from stacklab_testing.web import TIMEOUT, base_url, django_login, hidden, nonce, post_message, wsgi_post

pytestmark = [pytest.mark.container, pytest.mark.disruptive]

ISBN = "978-0521725965"  # Python for Software Design


def flask_post(base: str, message: str) -> None:
    """Add a message to the Flask history through its form, in a session of its own."""
    post_message(requests.Session(), f"{base}/messages", message)


def test_data_survives_down_and_up(target, compose):
    django, wsgi, flask = (base_url(target, key) for key in ("DJANGO_PORT", "WSGI_PORT", "FLASK_PORT"))
    mark = nonce()
    username, password = f"persist-{mark}", f"pw-{nonce()}-{nonce()}-{nonce()}"
    compose(
        "exec", "-T", "django", "stacklab-django-manage", "shell", "-c",
        f"from django.contrib.auth.models import User; User.objects.create_user({username!r}, password={password!r})",
    )  # fmt: skip
    jon = django_login(django, "jon", target.secret("django_demo_password_jon"))
    books = jon.get(f"{django}/books/", timeout=TIMEOUT).text
    jon.post(f"{django}/books/cart/add/{ISBN}", data={"csrfmiddlewaretoken": hidden(books, "csrfmiddlewaretoken")})
    wsgi_post(requests.Session(), wsgi, f"kept {mark}")
    flask_post(flask, f"kept {mark}")
    assert f"kept {mark}" in requests.get(f"{flask}/messages", timeout=TIMEOUT).text, "not stored to begin with"

    compose("down")
    compose("up", "--detach", "--wait", "--wait-timeout", "300")

    cart = jon.get(f"{django}/books/cart/", allow_redirects=False, timeout=TIMEOUT)
    assert cart.status_code == 200, "the session did not survive"
    assert "Python for Software Design" in cart.text, "the cart did not survive"
    django_login(django, username, password)
    assert f"kept {mark}" in requests.get(f"{wsgi}/history", timeout=TIMEOUT).text
    assert f"kept {mark}" in requests.get(f"{flask}/messages", timeout=TIMEOUT).text, "the Flask history was lost"
