"""The course's echo WSGI application with shared message history, no framework, served by gunicorn."""
