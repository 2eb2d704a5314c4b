"""The course's Flask echo (week 7): a GET form and its answer page, now escaped and bounded."""

from flask import Blueprint, abort, current_app, render_template, request

bp = Blueprint("echo", __name__)


@bp.get("/echo_flask.html")
def form():
    return render_template("form.html")


@bp.get("/echo_flask.py")
def echo():
    message = request.args.get("message")
    if message is None:
        abort(400, "The message parameter is missing.")
    limit = current_app.config["MESSAGE_MAX_LENGTH"]
    if len(message) > limit:
        abort(400, f"The message is longer than {limit} characters.")
    return render_template("echo.html", message=message)
