"""Week 6, echo_wsgi (course.md 1.12): one WSGI application routing on PATH_INFO: `/echo_wsgi.html` the form
(GET, action `echo_wsgi.py`, field `message`), `/echo_wsgi.py?message=...` a page saying `Message: <message>`,
anything else a 404 page saying `404 <path> not found`.

Fixed from 2012 (section 4, items 8 and 15; section 2 item 9's M checks), so these fail: the 404 page sent with
status 200, the `Content_type: text/HTML` header (an underscore: no Content-Type at all), the message inserted
unescaped, and the KeyError (a 500) on an empty or missing message: answer 400 or the form instead. Any WSGI
server may run it (wsgiref as in the course, gunicorn, Apache mod_wsgi).
"""

from ..engine import Context, Exercise
from . import webapp

wsgi_echo = Exercise(
    "wsgi_echo",
    "6",
    8080,
    "a WSGI app: /echo_wsgi.html form, /echo_wsgi.py?message= echo, 404 else",
    by_roster_port=True,
)
PAGE, ACTION = "/echo_wsgi.html", "/echo_wsgi.py"


@wsgi_echo.check("GET /echo_wsgi.html: a GET form to echo_wsgi.py with a field 'message'")
def form_page(ctx: Context) -> str:
    return webapp.form_page(ctx, PAGE, ACTION)


@wsgi_echo.check("GET /echo_wsgi.py?message=Hello: an HTML page saying 'Message: Hello'")
def echoes(ctx: Context) -> str:
    return webapp.echoes(ctx, ACTION)


@wsgi_echo.check("answers a path it does not serve with status 404", needs=("echoes",))
def not_found(ctx: Context) -> str:
    return webapp.not_found(ctx, "/no-such-page")


@wsgi_echo.check("shows a message with <script> and & as text, escaped once", needs=("echoes",))
def escapes(ctx: Context) -> str:
    return webapp.escaped_echo(ctx, ACTION)


@wsgi_echo.check("decodes the form's encoding: '+' is a space, %26 an &", needs=("echoes",))
def form_decoding(ctx: Context) -> str:
    return webapp.form_decoding(ctx, ACTION)


@wsgi_echo.check("echoes non-ASCII text sent as UTF-8, its Content-Length counted in bytes", needs=("echoes",))
def non_ascii(ctx: Context) -> str:
    return webapp.non_ascii(ctx, ACTION)


@wsgi_echo.check("answers an empty and a missing message without a 500", needs=("echoes",))
def empty_message(ctx: Context) -> str:
    return webapp.empty_message(ctx, ACTION)


@wsgi_echo.check("answers a malformed query without a 500", needs=("echoes",))
def bad_query(ctx: Context) -> str:
    return webapp.bad_query(ctx, ACTION)
