"""The course's Flask echo and Flask bookshop on one app factory.

`create_app()` reads its settings from `FLASK_*` environment variables (`FLASK_SECRET_KEY` becomes `SECRET_KEY`,
`FLASK_HISTORY_DB` becomes `HISTORY_DB`, ...; see settings.py). gunicorn imports `stacklab_flask.wsgi:app`.
"""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from . import books, echo, health, history, settings, store
from .settings import ConfigError

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    settings.configure(app, test_config)
    store.init_app(app)
    for blueprint in (books.bp, echo.bp, history.bp, health.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _error_page)
    app.after_request(_security_headers)
    return app


def _error_page(error: HTTPException):
    return render_template("error.html", error=error), error.code


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    return response
