"""django_bookshop, broken: The login template marks `next` |safe: markup in the URL comes back live.

expect: unescaped-next
"""

import sys
import tempfile
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings
from django.urls import include, path

port = int(sys.argv[1])
BOOKS = {
    "978-1904811848": ("CherryPy Essentials: Rapid Python Web Application Development", "Sylvain Hellegouarch",
                       "Packt Publishing (March 31, 2007)"),
    "978-0521725965": ("Python for Software Design: How to Think Like a Computer Scientist", "Allen B. Downey",
                       "Cambridge University Press; 1 edition (March 16, 2009)"),
    "978-1430230038": ("Foundations of Python Network Programming", "John Goerzen",
                       "Apress; 2 edition (December 21, 2010)"),
}  # fmt: skip
USER = """<p><strong>User:</strong> {{ user.username }}</p>
<form method="post" action="/accounts/logout/">{% csrf_token %}<button type="submit">Logout</button></form>"""
TEMPLATES = {
    "index.html": USER
    + """<h1>Books</h1><ul>{% for isbn, b in books %}
<li><a href="/books/detail/{{ isbn }}">{{ b.0 }}</a></li>{% endfor %}</ul>""",
    "detail.html": USER
    + """<h1>{{ b.0 }}</h1><ul><li>ISBN: {{ isbn }}</li><li>Publisher: {{ b.2 }}</li>
<li>Author: {{ b.1 }}</li></ul><p><a href="/books/">Back</a></p>""",
    "registration/login.html": """<title>Login</title>
{% if form.errors %}<p class="error">Sorry, that's not a valid username or password</p>{% endif %}
<form method="post" action="">{% csrf_token %}
<label>User name: <input type="text" name="username"></label>
<label>Password: <input type="password" name="password"></label>
<input type="submit" name="login" value="login"><input type="hidden" name="next" value="{{ next|safe }}"></form>""",
    "registration/logged_out.html": """<title>Logged Out</title><p>Logged out</p>
<a href="/accounts/login/?next=/books/">Login</a>""",
}


def index(request):
    from django.shortcuts import render

    return render(request, "index.html", {"books": BOOKS.items()})


def detail(request, isbn):
    from django.http import Http404
    from django.shortcuts import render

    if isbn not in BOOKS:
        raise Http404("no such book")
    return render(request, "detail.html", {"isbn": isbn, "b": BOOKS[isbn]})


def urls():
    from django.contrib.auth import views
    from django.contrib.auth.decorators import login_required

    books = [path("", login_required(index)), path("detail/<str:isbn>", login_required(detail))]
    return [
        path("accounts/login/", views.LoginView.as_view()),
        path("accounts/logout/", views.LogoutView.as_view()),
        path("books/", include(books)),
    ]


settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY="zoo-only-key-" + "z" * 40,
    ROOT_URLCONF=__name__,
    MIGRATION_MODULES=dict.fromkeys(["auth", "contenttypes", "sessions"]),
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": Path(tempfile.mkdtemp()) / "db.sqlite3"}},
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)],
                "context_processors": ["django.contrib.auth.context_processors.auth"],
            },
        }
    ],
    LOGIN_REDIRECT_URL="/books/",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast: a zoo, not a real site
)
django.setup()
urlpatterns = urls()

from django.contrib.auth.models import User  # noqa: E402 - after setup
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

call_command("migrate", run_syncdb=True, verbosity=0)  # tables from the models: no migrations to run
User.objects.create_user("jon", "jon@uw.edu", "jacky")
User.objects.create_user("brian", "brian@dorseys.org", "dorsey")


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, get_wsgi_application(), handler_class=Quiet).serve_forever()
