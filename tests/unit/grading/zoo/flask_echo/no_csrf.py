"""Adds any POSTed message: the form has no token and none is checked.

expect: no-csrf
"""

import secrets
import sys
import threading

from flask import Flask, abort, redirect, render_template_string, request, session

port = int(sys.argv[1])
app = Flask(__name__)
app.secret_key = secrets.token_bytes(32)
history: list[str] = []
lock = threading.Lock()

FORM = """<!DOCTYPE html><html><head><title>Echo request</title></head><body>
<form method="GET" action="echo_flask.py"><input type="text" name="message" size="40">
<input type="submit" value="Submit"></form></body></html>"""
ECHO = "<!DOCTYPE html><title>Echo response</title><p>Message: {{ message }}</p>"
MESSAGES = """<!DOCTYPE html><title>Messages</title>
<form method="POST" action="/messages"><input type="hidden" name="token" value="{{ token }}">
<input type="text" name="message"><input type="submit" value="Send"></form>
<ul>{% for message in history %}<li>{{ message }}</li>{% endfor %}</ul>"""


@app.get("/echo_flask.html")
def form():
    return FORM


@app.get("/echo_flask.py")
def echo():
    message = request.args.get("message")
    if message is None:
        abort(400)
    return render_template_string(ECHO, message=message)


@app.get("/messages")
def messages():
    session.setdefault("token", secrets.token_hex(16))
    with lock:
        shown = list(history)
    return render_template_string(MESSAGES, token=session["token"], history=shown)


@app.post("/messages")
def add():
    message = request.form.get("message", "").strip()
    if not message:
        abort(400)
    with lock:
        history.insert(0, message)
    return redirect("/messages", code=303)


app.run("127.0.0.1", port)
