"""Week 7, echo_wsgi with its history (course.md 1.12, the assignment's revision): every message since the app
started, newest first, on one page shared by every visitor; here at `/history` (the lab's path), added with the
page's POST form (the fix of section 4, items 13 and 19: see message_history.py).

It needs the week-6 echo to work (its form and reply are wsgi_echo's checks); the 2012 solution, which added
messages on GET and kept them in a process global, fails with the hint on GET. A history that does not survive
a restart cannot be seen from outside and is not graded; one per worker process fails as not shared.
"""

from ..engine import Context, Exercise
from . import message_history, webapp

wsgi_history = Exercise("wsgi_history", "7", 8080, "echo_wsgi plus /history: every message since startup, newest first")


@wsgi_history.check("GET /echo_wsgi.py?message=Hello: an HTML page saying 'Message: Hello'")
def echoes(ctx: Context) -> str:
    return webapp.echoes(ctx, "/echo_wsgi.py")


message_history.add_checks(wsgi_history, "/history", "/echo_wsgi.py", needs=("echoes",))
