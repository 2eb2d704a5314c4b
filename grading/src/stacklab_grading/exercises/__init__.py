"""The course's exercises by name. A new exercise module defines Exercise objects and is listed here."""

from ..engine import Exercise
from .chat import chat
from .django_bookshop import django_bookshop
from .django_booksite import django_booksite
from .echo import echo
from .echo_www import echo_www
from .hello_www import hello_www
from .recho import recho
from .select_echo import select_echo
from .ws30 import ws30

EXERCISES: dict[str, Exercise] = {exercise.name: exercise for exercise in (echo, recho, select_echo, chat)}
EXERCISES.update((e.name, e) for e in (hello_www, echo_www, ws30))
EXERCISES.update((e.name, e) for e in (django_booksite, django_bookshop))
