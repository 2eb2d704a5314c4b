"""The course's exercises by name. A new exercise module defines Exercise objects and is listed here."""

from ..engine import Exercise
from .chat import chat
from .echo import echo
from .recho import recho
from .select_echo import select_echo

EXERCISES: dict[str, Exercise] = {exercise.name: exercise for exercise in (echo, recho, select_echo, chat)}
