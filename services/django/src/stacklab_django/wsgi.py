"""The WSGI application gunicorn serves (`stacklab_django.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application
from stacklab_core import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stacklab_django.settings")

# Counted and timed, with /metrics in front (stacklab_core.metrics), before Django checks the Host header.
application = metrics.instrument(get_wsgi_application(), "django")
