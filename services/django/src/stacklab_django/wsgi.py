"""The WSGI application gunicorn serves (`stacklab_django.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stacklab_django.settings")

application = get_wsgi_application()
