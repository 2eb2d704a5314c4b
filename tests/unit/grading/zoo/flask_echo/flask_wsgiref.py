"""A correct Flask echo with the lab's revision, served by wsgiref (one thread, so the history needs no lock):
pages built with markupsafe.escape, a deque of the newest 500 messages, a double-submit cookie as the CSRF
token, and a 404 for any other path.

expect: pass
"""

import secrets
import sys
from collections import deque
from wsgiref.simple_server import WSGIRequestHandler, make_server

from flask import Flask, make_response, redirect, request
from markupsafe import escape

port = int(sys.argv[1])
app = Flask(__name__)
history: deque[str] = deque(maxlen=500)  # newest first


def page(title: str, body: str) -> str:
    return f'<!DOCTYPE html>\n<html lang="en"><head><title>{title}</title></head><body>{body}</body></html>'


@app.route("/echo_flask.html")
def form():
    field = '<input type="text" name="message" size="40"><input type="submit" value="Submit">'
    return page("Echo request", f'<form action="echo_flask.py">{field}</form>')


@app.route("/echo_flask.py")
def echo():
    if "message" not in request.args:
        return page("Echo response", "<p>No message.</p>"), 400
    return page("Echo response", f"<p>Message: {escape(request.args['message'])}</p>")


@app.route("/messages", methods=["GET", "POST"])
def messages():
    token = request.cookies.get("csrf", "")
    if request.method == "POST":
        if not token or not secrets.compare_digest(request.form.get("csrf", ""), token):
            return page("Refused", "<p>Reload the page and send again.</p>"), 403
        if request.form.get("message"):
            history.appendleft(request.form["message"])
        return redirect("/messages", code=303)
    token = token or secrets.token_urlsafe(16)
    items = "".join(f"<li>{escape(message)}</li>" for message in history)
    form = (
        f'<form method="post"><input type="hidden" name="csrf" value="{token}">'
        '<input name="message"><button>Send</button></form>'
    )
    response = make_response(page("Messages", f"{form}<ol>{items}</ol>"))
    response.set_cookie("csrf", token, httponly=True, samesite="Strict")
    return response


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, app, handler_class=QuietHandler).serve_forever()
