"""gunicorn settings for the WSGI echo: `gunicorn -c services/wsgi/conf/gunicorn.conf.py`, tuned by the environment.

GUNICORN_BIND     where to listen, comma-separated (default 127.0.0.1:8000; compose 0.0.0.0:8000; a VM
                  unix:/run/stacklab-wsgi/gunicorn.sock for nginx)
WEB_CONCURRENCY   worker processes (default 2); they share the message history through SQLite
The app reads its own settings (WSGI_HISTORY_DB, WSGI_HISTORY_MAX, WSGI_SECRET_KEY[_FILE]): see its README.
The wheel carries this file as the module stacklab_wsgi.gunicorn_conf;
stacklab-release copies it out of the wheel into each release as conf/wsgi/gunicorn.conf.py, and the units run
`-c /srv/stacklab/current/conf/wsgi/gunicorn.conf.py`: a file, not `-c python:...`, so the master never imports
the app and a reload (HUP) serves the new release.
"""

import os

wsgi_app = "stacklab_wsgi.app:application"
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if address]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"  # stdout
errorlog = "-"  # stderr
# The lab's access-log format (stacklab_core.logs.GUNICORN_FORMAT; docs/observability.md): nginx's request id.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" ms=%(M)s rid=%({x-request-id}i)s'
timeout = 30
graceful_timeout = 10
keepalive = 5
# No gunicornc control socket (gunicorn >= 25.1 makes one in $HOME by default): systemd reloads with HUP, and
# several gunicorns on one host (tests, apps) would fight over the one default path.
control_socket_disable = True


def child_exit(server, worker):
    """A worker gone: prometheus_client's bookkeeping of its metric files (stacklab_core.metrics, multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # here, not at the top: the master never imports the app's code

        multiprocess.mark_process_dead(worker.pid)
