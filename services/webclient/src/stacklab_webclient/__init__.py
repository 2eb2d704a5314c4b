"""The course's week-5 web-client exercises: list links, download .py files, a JSON API client."""
