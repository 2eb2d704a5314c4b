"""The course's client exercises by name (`stacklab-check client NAME -- COMMAND...`): the student's client run
against a recording server (session.py) with scripted input, graded by the engine's chains of checks."""

from ..engine import Exercise
from .api import github_api_client, json_time_client
from .chat import chat_client
from .echo import echo_client
from .recho import recho_client
from .web import web_client

CLIENTS: dict[str, Exercise] = {
    exercise.name: exercise
    for exercise in (echo_client, recho_client, chat_client, web_client, json_time_client, github_api_client)
}

# What the checker adds to the student's command: the socket clients get HOST PORT, as the course ran them.
ARGUMENTS = {"web": "URL N", "json_time": "URL", "github_api": "BASE N"}
