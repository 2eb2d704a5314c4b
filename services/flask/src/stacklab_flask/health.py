"""`/healthz`: 200 "ok" when the history store answers, 503 otherwise (for compose, nginx and the lab checks)."""

import sqlite3

from flask import Blueprint

from . import store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        store.ping()
    except sqlite3.Error as exc:
        return f"history store unavailable: {exc}\n", 503, {"Content-Type": "text/plain"}
    return "ok", 200, {"Content-Type": "text/plain"}
