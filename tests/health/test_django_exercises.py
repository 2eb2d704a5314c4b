"""The compose stack's Django, through its nginx front, passes the course's two Django exercises as a teacher would
grade a student's site: `stacklab-check exercise django_booksite` and `django_bookshop` (stacklab_grading), logged
in as the demo user jon with the stack's generated password.

Its login posts (7) fit nginx's login burst (10), and its one wrong password is far below django-axes' 5 (a good
login resets the count). Compose only: the VMs' Django is the same code, graded here once.
"""

import pytest
from stacklab_grading import engine, report
from stacklab_grading.exercises import EXERCISES


@pytest.mark.container
def test_the_stack_django_passes_both_django_exercises(target):
    port = target.port("DJANGO_PORT")
    password = target.secret("django_demo_password_jon")
    for name in ("django_booksite", "django_bookshop"):
        context = engine.Context(target.address, port, wait=5.0, user="jon", password=password)
        results = engine.run(EXERCISES[name], context)
        shown = report.terminal(EXERCISES[name], results, f"{target.address}:{port}")
        assert [r.status for r in results] == ["pass"] * len(results), shown
