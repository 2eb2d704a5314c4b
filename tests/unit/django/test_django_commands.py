"""The account commands: ensure_superuser and seed_demo_users are idempotent and refuse missing passwords."""

import os
from unittest import mock

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings

STRONG = "correct-horse-battery-staple-42"


def run(command: str, **env: str) -> str:
    """Run a command with exactly these DJANGO_* variables (the test process's own are hidden)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_SUPERUSER", "DJANGO_DEMO"))}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        from io import StringIO

        out = StringIO()
        call_command(command, stdout=out)
        return out.getvalue()


class EnsureSuperuserTests(TestCase):
    def test_creates_then_changes_nothing(self):
        env = {"DJANGO_SUPERUSER_USERNAME": "boss", "DJANGO_SUPERUSER_EMAIL": "boss@example.org"}
        self.assertEqual(run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD=STRONG, **env), "superuser boss: created\n")
        hashed = User.objects.get(username="boss").password
        self.assertEqual(
            run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD=STRONG, **env), "superuser boss: unchanged\n"
        )
        boss = User.objects.get(username="boss")
        self.assertEqual(boss.password, hashed)
        self.assertTrue(boss.is_superuser and boss.is_staff and boss.is_active)
        self.assertEqual(boss.email, "boss@example.org")
        self.assertTrue(boss.check_password(STRONG))

    def test_a_new_password_updates_the_user(self):
        run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD=STRONG)
        self.assertEqual(run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD=STRONG + "!"), "superuser admin: updated\n")
        self.assertTrue(User.objects.get(username="admin").check_password(STRONG + "!"))

    def test_password_from_a_file(self):
        with open(self.tmp_file(STRONG + "\n"), encoding="utf-8") as f:
            run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD_FILE=f.name)
        self.assertTrue(User.objects.get(username="admin").check_password(STRONG))

    def test_missing_password_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "DJANGO_SUPERUSER_PASSWORD"):
            run("ensure_superuser")
        self.assertFalse(User.objects.exists())

    def test_unreadable_file_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "cannot read"):
            run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD_FILE="/nonexistent/secret")

    def test_weak_password_is_refused(self):
        with self.assertRaisesMessage(CommandError, "too weak"):
            run("ensure_superuser", DJANGO_SUPERUSER_PASSWORD="admin")
        self.assertFalse(User.objects.exists())

    def tmp_file(self, content: str) -> str:
        import tempfile

        fd, path = tempfile.mkstemp()
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        self.addCleanup(os.unlink, path)
        return path


class SeedDemoUsersTests(TestCase):
    def test_production_refuses_missing_passwords_and_creates_nobody(self):
        with self.assertRaisesMessage(CommandError, "DJANGO_DEMO_PASSWORD_BRIAN"):
            run("seed_demo_users", DJANGO_DEMO_PASSWORD_JON=STRONG)
        self.assertFalse(User.objects.exists())

    def test_production_refuses_the_course_passwords(self):
        with self.assertRaisesMessage(CommandError, "too weak"):
            run("seed_demo_users", DJANGO_DEMO_PASSWORD_JON="jacky", DJANGO_DEMO_PASSWORD_BRIAN="dorsey")
        self.assertFalse(User.objects.exists())

    def test_production_with_passwords_creates_then_changes_nothing(self):
        env = {"DJANGO_DEMO_PASSWORD_JON": STRONG, "DJANGO_DEMO_PASSWORD_BRIAN": STRONG + "-b"}
        self.assertEqual(run("seed_demo_users", **env), "demo user jon: created\ndemo user brian: created\n")
        self.assertEqual(run("seed_demo_users", **env), "demo user jon: unchanged\ndemo user brian: unchanged\n")
        jon, brian = User.objects.get(username="jon"), User.objects.get(username="brian")
        self.assertEqual((jon.email, brian.email), ("jon@uw.edu", "brian@dorseys.org"))
        self.assertTrue(jon.check_password(STRONG) and brian.check_password(STRONG + "-b"))
        for user in (jon, brian):
            self.assertTrue(user.is_active)
            self.assertFalse(user.is_staff or user.is_superuser)

    @override_settings(DEBUG=True)
    def test_development_defaults_to_the_course_passwords(self):
        run("seed_demo_users")
        self.assertTrue(User.objects.get(username="jon").check_password("jacky"))
        self.assertTrue(User.objects.get(username="brian").check_password("dorsey"))

    def test_users_from_configuration(self):
        out = run("seed_demo_users", DJANGO_DEMO_USERS="ann.lee:ann@example.org", DJANGO_DEMO_PASSWORD_ANN_LEE=STRONG)
        self.assertEqual(out, "demo user ann.lee: created\n")
        self.assertEqual(User.objects.get().email, "ann@example.org")

    def test_no_users_configured(self):
        self.assertEqual(run("seed_demo_users", DJANGO_DEMO_USERS=""), "DJANGO_DEMO_USERS is empty: no demo users\n")

    def test_entry_without_a_name_is_an_error(self):
        with self.assertRaisesMessage(CommandError, "has no user name"):
            run("seed_demo_users", DJANGO_DEMO_USERS=":x@example.org")

    def test_seeded_user_logs_in_through_the_form(self):
        run("seed_demo_users", DJANGO_DEMO_PASSWORD_JON=STRONG, DJANGO_DEMO_PASSWORD_BRIAN=STRONG)
        response = self.client.post("/accounts/login/", {"username": "jon", "password": STRONG, "next": "/books/"})
        self.assertRedirects(response, "/books/", fetch_redirect_response=False)
