"""The lab's web apps, as the compose stack publishes them, pass the course's web exercises (stacklab_grading):
the CGI echo behind Apache (the only way the lab runs it), the WSGI and Flask apps behind their nginx. The unit
stage grades the WSGI and Flask apps under gunicorn alone (tests/unit/grading/test_lab_webapps.py)."""

import pytest
from stacklab_grading import engine, report
from stacklab_grading.exercises import EXERCISES

pytestmark = pytest.mark.container  # each run adds messages to the lab's histories: on a disposable stack only

GRADED = [
    ("CGI_PORT", "cgi_echo"),
    ("WSGI_PORT", "wsgi_echo"),
    ("WSGI_PORT", "wsgi_history"),
    ("FLASK_PORT", "flask_echo"),
    ("FLASK_PORT", "flask_books"),
]


@pytest.mark.parametrize(("port_key", "name"), GRADED, ids=[name for _, name in GRADED])
def test_the_lab_web_app_passes_its_exercise(target, port_key, name):
    exercise, port = EXERCISES[name], target.port(port_key)
    results = engine.run(exercise, engine.Context(target.address, port, wait=5.0))
    shown = report.terminal(exercise, results, f"{target.address}:{port}")
    assert [r.status for r in results] == ["pass"] * len(results), shown
