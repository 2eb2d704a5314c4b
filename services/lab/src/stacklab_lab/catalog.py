"""Every lab service: its check name, the port-plan key of its port, what it is, and how it speaks."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    port_key: str
    summary: str
    http: bool  # a browser can open it


SERVICES = {
    s.name: s
    for s in (
        Service("echo", "ECHO_PORT", "one-shot TCP echo server (week 1)", http=False),
        Service("recho", "RECHO_PORT", "serial repeat-echo TCP server, one client at a time (week 2)", http=False),
        Service("echo_select", "ECHO_SELECT_PORT", "concurrent select() echo server (weeks 2-3)", http=False),
        Service("chat", "CHAT_PORT", "chat server: every line to every client (week 4)", http=False),
        Service("hello_www", "HELLO_WWW_PORT", "hand-written HTTP server: Hello, world! (week 4)", http=True),
        Service("echo_www", "ECHO_WWW_PORT", "hand-written HTTP server echoing the path (weeks 4-5)", http=True),
        Service("ws30", "WS30_PORT", "thirty-minute web server: files and listings (weeks 4-5)", http=True),
        Service("cgi", "CGI_PORT", "CGI echo under Apache httpd (week 6)", http=True),
        Service("wsgi", "WSGI_PORT", "WSGI echo with message history, gunicorn (weeks 6-7)", http=True),
        Service("flask", "FLASK_PORT", "Flask echo and bookshop, gunicorn behind nginx (week 7)", http=True),
        Service("django", "DJANGO_PORT", "Django bookshop and mailing list (weeks 8-10)", http=True),
        Service("lab", "LAB_PORT", "this index page and its health checks", http=True),
    )
}
