"""Week 7, echo_wsgi with its history (course.md 1.12, the assignment's revision): every message since the app
started, newest first, on one page shared by every visitor; here at `/history` (the lab's path), added with the
page's POST form (the fix of section 4, items 13 and 19: see message_history.py).

The week-6 echo is wsgi_echo's to grade (the 2012 solution's reply read `Message ` and the list, no colon);
that solution, which added messages on GET and kept them in a process global, fails here with the hint on GET.
A history that does not survive a restart cannot be seen from outside and is not graded; one per worker process
fails as missing or not shared.
"""

from ..engine import Exercise
from . import message_history

wsgi_history = Exercise(
    "wsgi_history", "7", 8080, "echo_wsgi plus /history: every message since startup, newest first", by_roster_port=True
)


message_history.add_checks(wsgi_history, "/history", "/echo_wsgi.py")
