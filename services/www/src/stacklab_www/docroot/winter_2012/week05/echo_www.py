"""Placeholder for the course's week05/echo_www.py: the page shows the request path after the prefix."""


def body(path: str) -> str:
    return f"uw-student: {path}"
