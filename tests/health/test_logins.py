"""Every target: a login flood against the running Django front (nginx limit_req on the login paths, django-axes
behind it). 30 wrong passwords on /accounts/login/ and on /admin/login/ with forged client-address headers: the
flood is throttled (429 from nginx or axes' lockout), a normal page answers within 1 s meanwhile, and another
account still logs in from this machine.

Through compose's published ports (docker-proxy), and a stand-in VM's, every client reaches nginx from the
bridge's gateway, so "another address" cannot be shown here: the unit test
tests/unit/django/test_django_logins.py shows it with two loopback addresses. The flooded username is a new one,
so the lockout it earns (that username from this address, 15 minutes) touches no account another test uses.
"""

import time

import pytest
from stacklab_testing.logins import LOGIN_PATHS, flood
from stacklab_testing.web import base_url, django_login, nonce

PAGE = "/mailing_list/name_list/"  # public, and it reads the database as a login does
REFILL = 2  # seconds per login nginx lets through from one address (30r/m, services/django/conf/nginx-site.conf.j2)
BURST = 10


@pytest.mark.attack
def test_a_login_flood_is_throttled_while_pages_and_other_logins_answer(target):
    base = base_url(target, "DJANGO_PORT")
    try:
        start = time.monotonic()
        outcomes, times = flood(base, f"flood-{nonce()}", count=30, page=PAGE)
        elapsed = time.monotonic() - start
        for path in LOGIN_PATHS:
            assert set(outcomes[path]) <= {"refused", "locked", "shed"}, outcomes[path]
        # One bucket for both forms: the burst, plus one login per REFILL seconds while the flood ran (a slow
        # machine's flood lasts long enough for a few), reach the app; nginx sheds every other one.
        reached = sum(len(o) - o.count("shed") for o in outcomes.values())
        allowed = BURST + 1 + int(elapsed / REFILL)
        assert reached <= allowed, f"{reached} reached the app in {elapsed:.1f} s, nginx lets {allowed}: {outcomes}"
        checked = sum(o.count("refused") for o in outcomes.values())
        assert checked <= 5, f"{checked} of the flood's passwords were checked (PBKDF2), the failure limit is 5"
        assert all(status == 200 for _, status in times), times
        slowest = max(seconds for seconds, _ in times)
        assert slowest < 1.0, f"{PAGE} took {slowest:.2f} s during the flood"
        time.sleep(REFILL + 0.5)  # nginx's bucket for this address lets one login through again
        django_login(base, "jon", target.secret("django_demo_password_jon"))
    finally:
        time.sleep(REFILL * BURST)  # the bucket empty again: the suite's later logins come from this address too
