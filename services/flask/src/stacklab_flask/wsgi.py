"""What gunicorn serves: `gunicorn -c conf/gunicorn.conf.py` (which names `stacklab_flask.wsgi:app`)."""

from . import create_app

app = create_app()
app.debug = False  # gunicorn is production: never debug, whatever FLASK_DEBUG says
