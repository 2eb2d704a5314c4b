"""Login throttling. In the test database (SQLite, or PostgreSQL under scripts/test-postgres): django-axes' lockout
by username and client address. As deployed: a real gunicorn (two workers, so the lockout must live in the
database) behind a real nginx rendered from the site template. An attacker on 127.0.0.2 floods both login forms
with wrong passwords for `admin` while forging X-Real-IP and X-Forwarded-For; the real admin and jon on 127.0.0.1
still log in, and a normal page keeps answering within 1 s."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth.models import User
from django.test import TestCase
from stacklab_testing.logins import LOGIN_PATHS, attempt, flood, outcome, session_from

from tests.unit.django.test_django_gunicorn_nginx import JON_PASSWORD, manage, render_site, start_gunicorn
from tests.unit.harness import TEST_USER, needs_nginx, nginx_argv, write_nginx_conf
from tests.unit.servers import free_port

ADMIN_PASSWORD = "admin-test-password-4-logins"
ATTACKER, USER = "127.0.0.2", "127.0.0.1"
PAGE = "/mailing_list/name_list/"  # public, and it reads the database as a login does


@pytest.fixture(scope="module")
def seeded_env(make_app_env, tmp_path_factory):
    """SQLite migrated and seeded (jon, admin) as a deployment does it."""
    env = {**make_app_env(tmp_path_factory.mktemp("logins")), "DJANGO_DEMO_USERS": "jon:jon@uw.edu",
           "DJANGO_DEMO_PASSWORD_JON": JON_PASSWORD, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
    for command in ("migrate", "seed_demo_users", "ensure_superuser", "collectstatic"):
        manage(env, command, *(["--noinput"] if command in ("migrate", "collectstatic") else []))
    return env


@pytest.fixture
def front(start_server, seeded_env, tmp_path):
    """nginx -> gunicorn (two workers) -> the seeded database: the base URL, on 127.0.0.1 (nginx listens on every
    loopback address)."""
    gunicorn = start_gunicorn(start_server, seeded_env)
    port = free_port()
    site = render_site(port, f"127.0.0.1:{gunicorn.port}", seeded_env["DJANGO_STATIC_ROOT"])
    start_server(nginx_argv(tmp_path, write_nginx_conf(tmp_path, site, TEST_USER)), port)
    base = f"http://127.0.0.1:{port}"
    with ThreadPoolExecutor(4) as pool:  # both workers' first requests (imports, templates) before any timing
        replies = pool.map(requests.get, [f"{base}{path}" for path in (PAGE, *LOGIN_PATHS) * 4])
        assert {reply.status_code for reply in replies} == {200}
    return base


@needs_nginx
def test_a_login_flood_is_shed_and_the_real_admin_still_logs_in(front):
    outcomes, times = flood(front, "admin", count=30, source=ATTACKER, page=PAGE)
    for path in LOGIN_PATHS:
        assert set(outcomes[path]) <= {"refused", "locked", "shed"}, outcomes[path]
        assert "refused" not in outcomes[path][-10:], f"{path}: the flood was not throttled: {outcomes[path]}"
    checked = sum(o.count("refused") for o in outcomes.values())
    assert checked <= 5, f"{checked} of the flood's passwords were checked (PBKDF2), the failure limit is 5"
    assert all(status == 200 for _, status in times), times
    slowest = max(seconds for seconds, _ in times)
    assert slowest < 1.0, f"{PAGE} took {slowest:.2f} s during the flood"
    for path in LOGIN_PATHS:  # the real admin, from another address, is not locked out by the attacker
        assert attempt(front, path, "admin", ADMIN_PASSWORD, source=USER).status_code == 302, path


@needs_nginx
def test_wrong_passwords_lock_the_account_for_that_address_only(front):
    """One at a time, as nginx lets through: the 5th wrong password locks that username for that address, whichever
    gunicorn worker answers (the attempts live in the database), even with the right password; from another address
    the same user logs in."""
    tries = [outcome(attempt(front, "/accounts/login/", "jon", "wrong-guess", source=ATTACKER)) for _ in range(6)]
    assert tries == ["refused"] * 4 + ["locked"] * 2, tries  # the 5th wrong one is checked, and locks
    assert outcome(attempt(front, "/admin/login/", "jon", JON_PASSWORD, source=ATTACKER)) == "locked"
    assert attempt(front, "/accounts/login/", "jon", JON_PASSWORD, source=USER).status_code == 302


@needs_nginx
def test_nginx_answers_the_flood_itself_with_a_clear_429(front):
    with session_from(ATTACKER) as attacker:
        replies = [attacker.post(f"{front}/accounts/login/", data={"username": "x"}, timeout=10) for _ in range(15)]
    shed = [r for r in replies if outcome(r) == "shed"]
    assert len(shed) >= 4, [r.status_code for r in replies]  # a burst of 10 (and one) passes, then 30 a minute
    assert shed[-1].headers["Server"] == "nginx" and shed[-1].headers["X-Frame-Options"] == "DENY"
    assert requests.get(f"{front}/accounts/login/", timeout=10).status_code == 200  # the form itself is not limited


class LockoutTests(TestCase):
    """The lockout as axes' database handler keeps it, on SQLite and PostgreSQL; the address is nginx's X-Real-IP."""

    @classmethod
    def setUpTestData(cls):
        User.objects.create_superuser("admin", "", ADMIN_PASSWORD)

    def log_in(self, password: str, address: str, path: str = "/admin/login/"):
        return self.client.post(path, {"username": "admin", "password": password}, HTTP_X_REAL_IP=address)

    def test_five_wrong_passwords_lock_the_username_for_that_address(self):
        for _ in range(4):
            self.assertContains(self.log_in("wrong", "198.51.100.1"), "Please enter the correct username")
        self.assertContains(self.log_in("wrong", "198.51.100.1"), "Account locked", status_code=429)
        self.assertContains(self.log_in(ADMIN_PASSWORD, "198.51.100.1"), "Account locked", status_code=429)
        self.assertEqual(self.log_in(ADMIN_PASSWORD, "198.51.100.2").status_code, 302)

    def test_a_success_resets_the_count(self):
        for _ in range(4):
            self.log_in("wrong", "198.51.100.3", "/accounts/login/")
        self.assertEqual(self.log_in(ADMIN_PASSWORD, "198.51.100.3").status_code, 302)
        self.client.logout()
        self.assertContains(self.log_in("wrong", "198.51.100.3"), "Please enter the correct username")
