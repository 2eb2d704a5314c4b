"""What gunicorn serves: `gunicorn -c conf/gunicorn.conf.py` (which names `stacklab_flask.wsgi:app`)."""

from stacklab_core import metrics

from . import create_app

app = create_app()
app.debug = False  # gunicorn is production: never debug, whatever FLASK_DEBUG says
# Counted and timed, with /metrics in front (stacklab_core.metrics); `app` stays the Flask object.
app.wsgi_app = metrics.instrument(app.wsgi_app, "flask")
