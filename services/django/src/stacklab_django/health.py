"""GET /healthz: 200 "ok" when the database answers a real query, 503 otherwise.

A middleware placed first, so that a probe from a container healthcheck or systemd answers whatever its Host
header (ALLOWED_HOSTS) and scheme (no redirect to https): nothing before it calls request.get_host().
"""

import logging

from django.db import DatabaseError
from django.http import HttpResponse

from stacklab_django.books.models import Book

log = logging.getLogger(__name__)


class HealthzMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz":
            return self.get_response(request)
        try:
            Book.objects.exists()  # the schema this app needs, not just a connection
        except DatabaseError as exc:
            log.error("healthz: database check failed: %s", exc)
            return HttpResponse("database unavailable", status=503, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")
