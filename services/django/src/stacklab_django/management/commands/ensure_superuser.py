"""Create or update the admin superuser from configuration; safe to run at every deploy."""

import os

from django.core.management.base import BaseCommand, CommandError

from stacklab_django.management.accounts import check_strength, configured_password, reconcile


class Command(BaseCommand):
    help = (
        "Create or update the superuser named by DJANGO_SUPERUSER_USERNAME (default admin), with "
        "DJANGO_SUPERUSER_EMAIL and the password from DJANGO_SUPERUSER_PASSWORD or DJANGO_SUPERUSER_PASSWORD_FILE."
    )

    def handle(self, *args, **options):
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin").strip()
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()
        if not username:
            raise CommandError("DJANGO_SUPERUSER_USERNAME is empty")
        password = configured_password("DJANGO_SUPERUSER_PASSWORD")
        if not password:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD (or DJANGO_SUPERUSER_PASSWORD_FILE) is not set")
        check_strength(username, email, password)
        outcome = reconcile(username, email, password, is_staff=True, is_superuser=True, is_active=True)
        self.stdout.write(f"superuser {username}: {outcome}")
