"""The one settings module: everything comes from the environment, and the defaults are the production-safe ones.

DEBUG is off, HTTPS is on, and a secret key is required unless DJANGO_DEBUG=1. The variables are listed in
services/django/README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from stacklab_django.env import database_from_url, env_bool, env_int, env_list, env_secret

PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = env_bool("DJANGO_DEBUG", False)

# Where SQLite and collected static files go when nothing more specific is set: systemd's StateDirectory=,
# else the user's data directory (never the installed package, which may be read-only).
DATA_DIR = Path(
    os.environ.get("DJANGO_DATA_DIR")
    or os.environ.get("STATE_DIRECTORY")
    or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "stacklab-django"
)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "stacklab_django",  # the project's own templates (404, 500, login) and management commands
    "stacklab_django.books",
    "stacklab_django.mailing_list",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # login throttling (below)
]

MIDDLEWARE = [
    "stacklab_django.health.HealthzMiddleware",  # first: the probe answers whatever the Host header or scheme
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: turns its lockout into the 429 response
]

ROOT_URLCONF = "stacklab_django.urls"
WSGI_APPLICATION = "stacklab_django.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stacklab_django.context_processors.lab",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": database_from_url(DATABASE_URL, env_secret("DATABASE_PASSWORD") or env_secret("POSTGRES_PASSWORD"))
    }
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    SQLITE_PATH = Path(os.environ.get("DJANGO_SQLITE_PATH") or DATA_DIR / "db.sqlite3")
    try:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"cannot create {SQLITE_PATH.parent} for SQLite ({exc.strerror}): set DJANGO_DATA_DIR or DJANGO_SQLITE_PATH"
        ) from None
    # Several gunicorn workers write (sessions, failed logins): a transaction takes the write lock when it begins,
    # and a busy one waits, instead of failing with "database is locked" when it upgrades a read lock.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions live in the database (django_session), as in the course; two weeks, renewed at each login.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/books/"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one client address,
# that pair is refused (429, no password check) for the cool-off time. The pair, not the username alone, so a flood
# against `admin` from one address never locks the real admin out from another; the flood itself is shed before
# Django by nginx's limit_req on the login paths (conf/nginx-site.conf.j2). Attempts live in the database (axes'
# default handler), which every gunicorn worker shares. The client address is nginx's X-Real-IP ($remote_addr,
# never a client's header): gunicorn listens where only nginx reaches it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failed attempts only: no table of every successful login
AXES_CLIENT_IP_CALLABLE = "stacklab_django.logins.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or DATA_DIR / "static")

# Every page links back to the lab index. By default it is the lab's plain-http index on the host this page was
# asked for, at LAB_PORT (stack.env; compose passes the port plan): right in compose and on a VM. DJANGO_LAB_URL
# names it outright when it lives elsewhere.
LAB_URL = os.environ.get("DJANGO_LAB_URL") or None
LAB_PORT = env_int("LAB_PORT", 8090)

# Behind nginx with TLS (the default): secure cookies, HSTS, redirect to https, and trust nginx's
# X-Forwarded-Proto (gunicorn listens on loopback or a socket only nginx reaches). The lab over plain http
# on 127.0.0.1 sets DJANGO_HTTPS=0.
HTTPS = env_bool("DJANGO_HTTPS", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()},
    # Its start-up banner would land in every management command's output; its failed logins and lockouts stay.
    "loggers": {"axes.apps": {"level": "WARNING"}},
}
