"""Week 6, the CGI echo (course.md 1.11): the form page `/echo_cgi.html` (a GET form, action
`cgi-bin/echo_cgi.py`, a text field `message`) and the CGI program `/cgi-bin/echo_cgi.py?message=...` answering
a page that says `Message: <message>`.

Graded as the course asked, on any CGI-capable server (the course's `python -m CGIHTTPServer`, now
`python -m http.server --cgi`; Apache with mod_cgid): what the program controls. A missing or empty message may
read `Message: None`, as the course's did (the cgi module dropped blank values), or get a 400: anything but a
crash. Fixed from 2012, so it fails: the message inserted unescaped (section 4, item 15) and cgitb's traceback
in the page (item 17). A '+' and %26 in the query, and UTF-8 in it, must come back as the reader typed them.
"""

from ..engine import Context, Exercise
from . import webapp

cgi_echo = Exercise(
    "cgi_echo",
    "6",
    8000,
    "a form page echo_cgi.html and a CGI program cgi-bin/echo_cgi.py echoing 'Message: <message>'",
    by_roster_port=True,
)
PAGE, ACTION = "/echo_cgi.html", "/cgi-bin/echo_cgi.py"


@cgi_echo.check("GET /echo_cgi.html: a GET form to cgi-bin/echo_cgi.py with a field 'message'")
def form_page(ctx: Context) -> str:
    return webapp.form_page(ctx, PAGE, ACTION)


@cgi_echo.check("GET /cgi-bin/echo_cgi.py?message=Hello: an HTML page saying 'Message: Hello'")
def echoes(ctx: Context) -> str:
    return webapp.echoes(ctx, ACTION)


@cgi_echo.check("shows a message with <script> and & as text, escaped once", needs=("echoes",))
def escapes(ctx: Context) -> str:
    return webapp.escaped_echo(ctx, ACTION)


@cgi_echo.check("decodes the form's encoding: '+' is a space, %26 an &", needs=("echoes",))
def form_decoding(ctx: Context) -> str:
    return webapp.form_decoding(ctx, ACTION)


@cgi_echo.check("echoes non-ASCII text sent as UTF-8", needs=("echoes",))
def non_ascii(ctx: Context) -> str:
    return webapp.non_ascii(ctx, ACTION)


@cgi_echo.check("answers an empty and a missing message without crashing", needs=("echoes",))
def empty_message(ctx: Context) -> str:
    return webapp.empty_message(ctx, ACTION)


@cgi_echo.check("answers a malformed query without crashing or showing a traceback", needs=("echoes",))
def bad_query(ctx: Context) -> str:
    return webapp.bad_query(ctx, ACTION)
