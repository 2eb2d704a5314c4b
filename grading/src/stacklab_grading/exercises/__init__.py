"""The course's exercises by name. A new exercise module defines Exercise objects and is listed here."""

from ..engine import Exercise
from .cgi_echo import cgi_echo
from .chat import chat
from .django_bookshop import django_bookshop
from .django_booksite import django_booksite
from .echo import echo
from .echo_www import echo_www
from .flask_books import flask_books
from .flask_echo import flask_echo
from .hello_www import hello_www
from .recho import recho
from .select_echo import select_echo
from .ws30 import ws30
from .wsgi_echo import wsgi_echo
from .wsgi_history import wsgi_history

EXERCISES: dict[str, Exercise] = {exercise.name: exercise for exercise in (echo, recho, select_echo, chat)}
EXERCISES.update((e.name, e) for e in (hello_www, echo_www, ws30))
EXERCISES.update((e.name, e) for e in (cgi_echo, wsgi_echo, wsgi_history, flask_echo, flask_books))
EXERCISES.update((e.name, e) for e in (django_booksite, django_bookshop))
