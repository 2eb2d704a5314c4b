"""Typed reads of the environment for settings.py: booleans, lists, secrets (VAR or VAR_FILE), DATABASE_URL."""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """The value of NAME, or the content of the file named by NAME_FILE (compose secrets), or of the systemd
    credential NAME ($CREDENTIALS_DIRECTORY/NAME: a VM's unit loads it, LoadCredential=), or None."""
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if not (value or path) and credentials and Path(credentials, name).is_file():
        path = str(Path(credentials, name))
    if path:
        try:
            # A trailing newline is an artefact of `echo secret > file`, never part of the secret.
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path}: cannot read it ({exc.strerror})") from None
    return value or None


def database_from_url(url: str, password: str | None = None) -> dict:
    """A Django DATABASES entry from postgres://user:password@host:port/name?option=value (psycopg 3).

    `password` (from DATABASE_PASSWORD_FILE or POSTGRES_PASSWORD_FILE) fills in a password the URL leaves out.
    A host of the form %2Frun%2Fpostgresql is a Unix socket directory.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres://...)")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL: the database name is missing (postgres://user@host/NAME)")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, url_password = userinfo.partition(":")
    host, port = _split_host_port(hostport)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(user),
        "PASSWORD": unquote(url_password) or password or "",
        "HOST": host,
        "PORT": port,
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):  # [::1]:5432
        host, _, rest = hostport[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = hostport.partition(":")
    if port and not port.isdigit():
        raise ImproperlyConfigured(f"DATABASE_URL: the port {port!r} is not a number")
    return unquote(host), port
