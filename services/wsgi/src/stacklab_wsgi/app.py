"""The course's echo_wsgi as a plain WSGI application (no framework), served by gunicorn.

URL layout (the course's names, plus the history the week-7 assignment asked for):
  GET  /                  text/plain "The request method was GET" (the course's wsgi_test; any method)
  GET  /echo_wsgi.html    the form "Echo request" (GET, action echo_wsgi.py, field message)
  GET  /echo_wsgi.py      "Echo response" with `Message: <message>`; 400 when message is missing or empty
  GET  /history           every message posted, newest first, and a POST form with a CSRF token
  POST /history           add a message (token required, else 403), then 303 back to /history
  GET  /healthz           200 "ok" when the SQLite history can be read and written, else 503
Every HTML page ends with a link back to the lab index (WSGI_LAB_URL, else http://<host asked for>:LAB_PORT/).
Messages longer than 1,000 characters are refused with 413. GET never changes anything.

gunicorn serves `stacklab_wsgi.app:application`; tests and other mounts can call create_app(Settings(...)).
"""

import sqlite3
import sys
import traceback
from collections.abc import Callable

from stacklab_core import metrics

from stacklab_wsgi import csrf, pages
from stacklab_wsgi.history import HistoryStore
from stacklab_wsgi.settings import Settings
from stacklab_wsgi.web import TEXT, HttpError, Request, Response, send

Handler = Callable[[Request], Response]


class EchoApp:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = HistoryStore(settings.history_db, settings.history_max)
        self._key = settings.secret_key
        self.routes: dict[str, dict[str, Handler]] = {
            "/echo_wsgi.html": {"GET": self.form},
            "/echo_wsgi.py": {"GET": self.echo},
            "/history": {"GET": self.history, "POST": self.post_message},
            "/healthz": {"GET": self.healthz},
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        lab = self.lab_url(request)
        try:
            response = self.dispatch(request)
        except HttpError as refused:
            body = pages.error(refused.status, refused.detail, lab)
            response = Response(refused.status, body, headers=refused.headers)
        except sqlite3.Error as error:
            self.log(environ, f"history store {self.settings.history_db}: {error}")
            response = Response(503, pages.error(503, "The message history is unavailable; try again later.", lab))
        except Exception:
            self.log(environ, traceback.format_exc())
            response = Response(500, pages.error(500, "The server failed; the details are in its log.", lab))
        return send(response, request.method, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path == "/":  # the course's wsgi_test answers every method
            return Response(200, f"The request method was {request.method}", TEXT)
        methods = self.routes.get(request.path)
        if methods is None:
            return Response(404, pages.not_found(request.path, self.lab_url(request)))
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            allowed = ", ".join(sorted({*methods, "HEAD"}))
            raise HttpError(405, f"{request.method} is not allowed here; use {allowed}", [("Allow", allowed)])
        return handler(request)

    def form(self, request: Request) -> Response:
        return Response(200, pages.echo_form(self.lab_url(request)))

    def echo(self, request: Request) -> Response:
        message = _message(request.query())
        return Response(200, pages.echo_response(message, self.lab_url(request)))

    def history(self, request: Request) -> Response:
        cookie = request.cookie(csrf.COOKIE)
        headers = []
        if not csrf.well_formed(cookie):
            cookie = csrf.new_cookie()
            secure = "; Secure" if request.https else ""
            path = request.url("/")
            headers.append(("Set-Cookie", f"{csrf.COOKIE}={cookie}; Path={path}; HttpOnly; SameSite=Strict{secure}"))
        token = csrf.form_token(self.key(), cookie)
        body = pages.history(self.store.newest_first(), token, request.url("/history"), self.lab_url(request))
        return Response(200, body, headers=headers)

    def post_message(self, request: Request) -> Response:
        fields = request.form()
        if not csrf.valid(self.key(), request.cookie(csrf.COOKIE), _first(fields, csrf.FIELD)):
            raise HttpError(403, "The form's CSRF token is missing or invalid: reload the history page and resend.")
        self.store.add(_message(fields))
        return Response(303, "", headers=[("Location", request.url("/history"))])

    def healthz(self, request: Request) -> Response:
        try:
            self.store.check()
        except sqlite3.Error as error:
            self.log(request.environ, f"healthz: history store {self.settings.history_db}: {error}")
            return Response(503, "unavailable: history store\n", TEXT)
        return Response(200, "ok\n", TEXT)

    def lab_url(self, request: Request) -> str:
        """Where the pages' "lab index" link goes: WSGI_LAB_URL, else the lab's plain-http port on this host."""
        return self.settings.lab_url or f"http://{request.host_name()}:{self.settings.lab_port}/"

    def key(self) -> bytes:
        if self._key is None:
            self._key = self.store.secret()
        return self._key

    @staticmethod
    def log(environ, text: str) -> None:
        errors = environ.get("wsgi.errors", sys.stderr)  # gunicorn's error log
        errors.write(f"stacklab_wsgi: {text.rstrip()}\n")
        errors.flush()


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def _message(fields: dict[str, list[str]]) -> str:
    message = _first(fields, "message")
    if message is None or not message.strip():
        raise HttpError(400, "The message is missing or empty.")
    if len(message) > pages.MESSAGE_MAX_CHARS:
        raise HttpError(413, f"The message is longer than {pages.MESSAGE_MAX_CHARS} characters.")
    return message


def create_app(settings: Settings | None = None) -> EchoApp:
    """The WSGI application; settings default to the environment (WSGI_HISTORY_DB, WSGI_HISTORY_MAX, ...)."""
    return EchoApp(settings or Settings.from_env())


# Counted and timed, with /metrics in front (stacklab_core.metrics).
application = metrics.instrument(create_app(), "wsgi")
