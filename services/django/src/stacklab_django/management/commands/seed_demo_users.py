"""Create or update the bookshop's demo users (the course's jon and brian) from configuration.

DJANGO_DEMO_USERS lists them as name:email pairs. Each password comes from DJANGO_DEMO_PASSWORD_<NAME> or
DJANGO_DEMO_PASSWORD_<NAME>_FILE. The course's published passwords (jacky, dorsey) are the default only with
DJANGO_DEBUG on; otherwise a missing password is an error and no user is touched.
"""

import os
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stacklab_django.management.accounts import check_strength, configured_password, reconcile

DEFAULT_USERS = "jon:jon@uw.edu,brian:brian@dorseys.org"
DEVELOPMENT_PASSWORDS = {"jon": "jacky", "brian": "dorsey"}  # published in the course's README; DEBUG only


def password_var(username: str) -> str:
    return "DJANGO_DEMO_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", username.upper())


def parse_users(spec: str) -> list[tuple[str, str]]:
    users = []
    for entry in filter(None, (item.strip() for item in spec.split(","))):
        username, _, email = (part.strip() for part in entry.partition(":"))
        if not username:
            raise CommandError(f"DJANGO_DEMO_USERS: {entry!r} has no user name (use name:email)")
        users.append((username, email))
    return users


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        users = parse_users(os.environ.get("DJANGO_DEMO_USERS", DEFAULT_USERS))
        # Every password is checked before any user is written: a bad configuration changes nothing.
        passwords, missing = {}, []
        for username, email in users:
            password = configured_password(password_var(username))
            if not password and settings.DEBUG:
                password = DEVELOPMENT_PASSWORDS.get(username)
            if not password:
                missing.append(password_var(username))
                continue
            check_strength(username, email, password)
            passwords[username] = password
        if missing:
            raise CommandError(f"no password configured: set {', '.join(missing)} (or the same names + _FILE)")
        for username, email in users:
            outcome = reconcile(username, email, passwords[username], is_active=True)
            self.stdout.write(f"demo user {username}: {outcome}")
        if not users:
            self.stdout.write("DJANGO_DEMO_USERS is empty: no demo users")
