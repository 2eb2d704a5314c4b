"""The client address django-axes counts failed logins by (AXES_CLIENT_IP_CALLABLE in settings.py)."""


def client_address(request) -> str | None:
    """nginx's X-Real-IP (set from $remote_addr, replacing any the client sent), else the peer of gunicorn's socket:
    the address of whoever connected to gunicorn directly (a test, a probe)."""
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None
