"""The week-7 lab: every message received, newest first, shared by all clients and all gunicorn workers.

The course changed state on GET (`/echo_wsgi.py?message=...`); here a message is added by a POST with a CSRF token,
followed by a redirect back to the page (post/redirect/get).
"""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from . import csrf, store

bp = Blueprint("history", __name__)


@bp.get("/messages")
def page():
    return render_template("history.html", messages=store.newest_first(), csrf_token=csrf.token())


@bp.post("/messages")
def add():
    csrf.protect()
    message = request.form.get("message", "").strip()
    if not message:
        abort(400, "The message is empty.")
    limit = current_app.config["MESSAGE_MAX_LENGTH"]
    if len(message) > limit:
        abort(400, f"The message is longer than {limit} characters.")
    store.add(message)
    return redirect(url_for("history.page"), code=303)
