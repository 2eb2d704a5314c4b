"""Week 7, the Flask echo (course.md 1.13) and the lab's revision: `/echo_flask.html` the form (GET, action
`echo_flask.py`, field `message`), `/echo_flask.py?message=...` a page saying `Message: <message>`, and, as the
lab asked ("revise echo_flask to show all messages received since startup"), `/messages`: every message, newest
first, shared by every visitor, added with a POST form (message_history.py says why not GET).

As in 2012 a missing message may get 400 (Flask's answer to request.args['message']), an empty one
`Message: `. Fixed (section 4, items 15 and 17), so these fail: the message returned unescaped in a hand-built
string, and the interactive debugger (debug=True) answering an error. `GET /` is not graded: the lab's echo
shares its app with the books site, which owns it.
"""

from ..engine import Context, Exercise
from . import message_history, webapp

flask_echo = Exercise(
    "flask_echo",
    "7",
    5000,
    "a Flask app: /echo_flask.html form, /echo_flask.py?message= echo, /messages history",
    by_roster_port=True,
)
PAGE, ACTION = "/echo_flask.html", "/echo_flask.py"


@flask_echo.check("GET /echo_flask.html: a GET form to echo_flask.py with a field 'message'")
def form_page(ctx: Context) -> str:
    return webapp.form_page(ctx, PAGE, ACTION)


@flask_echo.check("GET /echo_flask.py?message=Hello: an HTML page saying 'Message: Hello'")
def echoes(ctx: Context) -> str:
    return webapp.echoes(ctx, ACTION)


@flask_echo.check("answers a path it does not serve with status 404", needs=("echoes",))
def not_found(ctx: Context) -> str:
    return webapp.not_found(ctx, "/no-such-page")


@flask_echo.check("shows a message with <script> and & as text, escaped once", needs=("echoes",))
def escapes(ctx: Context) -> str:
    return webapp.escaped_echo(ctx, ACTION)


@flask_echo.check("decodes the form's encoding: '+' is a space, %26 an &", needs=("echoes",))
def form_decoding(ctx: Context) -> str:
    return webapp.form_decoding(ctx, ACTION)


@flask_echo.check("echoes non-ASCII text sent as UTF-8", needs=("echoes",))
def non_ascii(ctx: Context) -> str:
    return webapp.non_ascii(ctx, ACTION)


@flask_echo.check("answers an empty and a missing message without a crash or the debugger", needs=("echoes",))
def empty_message(ctx: Context) -> str:
    return webapp.empty_message(ctx, ACTION)


@flask_echo.check("answers a malformed query without a crash or the debugger", needs=("echoes",))
def bad_query(ctx: Context) -> str:
    return webapp.bad_query(ctx, ACTION)


message_history.add_checks(flask_echo, "/messages", ACTION, needs=("echoes",))
