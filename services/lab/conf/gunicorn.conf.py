"""gunicorn settings for the lab index, the same in a container and under systemd: `gunicorn -c gunicorn.conf.py`.

The package carries this file as `stacklab_lab.gunicorn_conf` (a symlink in the source tree);
stacklab-release copies it out of the wheel into each release as conf/lab/gunicorn.conf.py, and the units run
`-c /srv/stacklab/current/conf/lab/gunicorn.conf.py`: a file, not `-c python:...`, so the master never imports
the app and a reload (HUP) serves the new release.

Env: GUNICORN_BIND (default 127.0.0.1:8000; nginx is the public front on LAB_PORT, a VM a Unix socket from
systemd; compose and swarm name the app's alias on its back network, see own_address), WEB_CONCURRENCY
(workers, default 1: each worker probes the services on its own, so more workers mean more probes). Threads serve
concurrent page loads; nginx buffers slow clients for them.
The app reads LAB_PUBLIC_HOST, LAB_TARGET_HOSTS and the port plan (see stacklab_lab.index).
"""

import os
import socket
import time


def own_address(address: str, wait: float = 60.0) -> str:
    """NAME:PORT -> this container's own address under NAME, with PORT. The app sits on the monitoring network too,
    beside every server it checks (docs/compose.md, "Networks"): bound to its address on its back network alone,
    gunicorn is out of their reach. In swarm NAME resolves to every replica (dnsrr): the one that is ours binds.
    Swarm's DNS learns a new task's address a moment after the task starts: until then it is asked again."""
    host, _, port = address.rpartition(":")
    if address.startswith("unix:") or "://" in address or not host or host[0].isdigit() or host[0] == "[":
        return address
    deadline = time.monotonic() + wait
    while True:
        try:
            found = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
        except socket.gaierror:
            found = []
        for *_, (ip, _port) in found:
            with socket.socket() as probe:
                try:
                    probe.bind((ip, 0))
                except OSError:
                    continue  # another replica's
            return f"{ip}:{port}"
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn.conf: no address of {host} is this container's ({len(found)} found)")
        time.sleep(0.5)


wsgi_app = "stacklab_lab.index:application"
bind = [own_address(a) for a in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = 4
timeout = 60  # a page waits for one round of checks (a few seconds at most)
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
