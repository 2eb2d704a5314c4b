"""The lab's own Django site passes the course's two Django exercises (stacklab_grading: django_booksite and
django_bookshop), as deployed: migrated and seeded by its commands, served by gunicorn behind its nginx site (as
compose and the VMs front it). On the unit-postgres stage (scripts/test-postgres) its database is PostgreSQL, a
database of its own on that server; else SQLite.

The grader logs in as a demo user with the password the deployment gave it (the course's jacky is refused by the
password validators); its one wrong password stays far below django-axes' limit of 5, and its 7 login posts within
nginx's login burst of 10.
"""

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from stacklab_grading import engine, report
from stacklab_grading.exercises import EXERCISES

from tests.unit.django.test_django_gunicorn_nginx import gunicorn, manage, nginx  # noqa: F401 - fixtures
from tests.unit.harness import needs_nginx

JON_PASSWORD = "jon-test-password-4-grader"


def own_database(url: str) -> str:
    """A new database on the server of `url` (its user may create one) -> the URL of that database."""
    name = f"exercises_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def deployed_env(make_app_env, tmp_path):
    """What test_django_gunicorn_nginx's gunicorn and nginx fixtures serve: here on PostgreSQL when there is one."""
    env = {**make_app_env(tmp_path), "DJANGO_DEMO_PASSWORD_JON": JON_PASSWORD, "DJANGO_DEMO_USERS": "jon:jon@uw.edu"}
    if os.environ.get("TEST_DATABASE_URL"):
        env["DATABASE_URL"] = own_database(os.environ["TEST_DATABASE_URL"])
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo_users")
    return env


@needs_nginx
def test_the_lab_django_site_passes_both_django_exercises(nginx, deployed_env):  # noqa: F811 - the fixture
    for name in ("django_booksite", "django_bookshop"):
        context = engine.Context("127.0.0.1", nginx.port, wait=5.0, user="jon", password=JON_PASSWORD)
        results = engine.run(EXERCISES[name], context)
        shown = report.terminal(EXERCISES[name], results, f"127.0.0.1:{nginx.port}")
        assert [r.status for r in results] == ["pass"] * len(results), shown
    if deployed_env["DATABASE_URL"]:  # the grader's sessions are in PostgreSQL: the site ran on it
        with psycopg.connect(deployed_env["DATABASE_URL"]) as db:
            assert db.execute("SELECT count(*) FROM django_session").fetchone()[0] >= 1
