"""`lab_url` for every template: where the page's "lab index" link goes (settings.LAB_URL, LAB_PORT)."""

from django.conf import settings
from django.http.request import split_domain_port


def lab(request):
    if settings.LAB_URL:
        return {"lab_url": settings.LAB_URL}
    # get_host() is checked against ALLOWED_HOSTS, so the link names only a host this site answers to.
    host, _port = split_domain_port(request.get_host())
    return {"lab_url": f"http://{host}:{settings.LAB_PORT}/"}
