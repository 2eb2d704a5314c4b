#!/opt/venv/bin/python
"""The one-shot django-init container (docker/services.yml): wait until PostgreSQL answers, bring the database
schema and the configured accounts up to date (all idempotent), then exit. The app's own container starts after it
succeeded, with neither the account passwords nor anything to do but serve.

One process for the three commands (Django starts once, not three times), and the wait for the database is here,
not a healthcheck-gated `depends_on`: compose starts this as soon as postgres runs, and a warm `up --wait` saves
the interval of postgres's first healthcheck.
"""

import os
import sys
import time

import django
from django.core.management import call_command
from django.db import OperationalError, connection

WAIT_SECONDS = 60


def wait_for_database() -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"django-init: no database after {WAIT_SECONDS} s: {exc}") from exc
            time.sleep(0.1)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stacklab_django.settings")
    django.setup()
    wait_for_database()
    call_command("migrate", interactive=False)
    call_command("ensure_superuser")
    call_command("seed_demo_users")
    return 0


if __name__ == "__main__":
    sys.exit(main())
