"""gunicorn settings for the Flask app, the same in a container and under systemd: `gunicorn -c gunicorn.conf.py`.

The package carries this file as `stacklab_flask.gunicorn_conf` (a symlink in the source tree);
stacklab-release copies it out of the wheel into each release as conf/flask/gunicorn.conf.py, and the units run
`-c /srv/stacklab/current/conf/flask/gunicorn.conf.py`: a file, not `-c python:...`, so the master never imports
the app and a reload (HUP) serves the new release.

Env: GUNICORN_BIND (default 127.0.0.1:8000; nginx is the public front), WEB_CONCURRENCY (workers, default 2).
The app itself reads FLASK_* (FLASK_SECRET_KEY or FLASK_SECRET_KEY_FILE, FLASK_HISTORY_DB).
"""

import os

wsgi_app = "stacklab_flask.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep nginx's upstream connections alive between requests (the sync worker closes each one), which saves
# nginx a connect and gunicorn an accept per request; nginx buffers slow clients, so a thread is never held by one.
worker_class = "gthread"
threads = 4
keepalive = 75  # longer than nginx's upstream keepalive_timeout (60 s): nginx is the one that closes idle ones
graceful_timeout = 10
control_socket_disable = True  # gunicornc is not used; the socket would live in $HOME, shared by every instance

# Server events and the access log both go to stdout, one line each (docker logs, journald).
_stdout = {"level": "INFO", "handlers": ["console"], "propagate": False}
logconfig_dict = {"loggers": {"gunicorn.error": _stdout, "gunicorn.access": _stdout}}
# The lab's access-log format (stacklab_core.logs.GUNICORN_FORMAT; docs/observability.md): nginx's request id.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" ms=%(M)s rid=%({x-request-id}i)s'


def child_exit(server, worker):
    """A worker gone: prometheus_client's bookkeeping of its metric files (stacklab_core.metrics, multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # here, not at the top: the master never imports the app's code

        multiprocess.mark_process_dead(worker.pid)
