"""django_bookshop, correct: No Django: a WSGI function under wsgiref's threading server that behaves as the
bookshop must. Sessions live in a dict on the server (so logout ends them), the CSRF token is a cookie the form
must repeat (double submit), `next` is kept only when it is a path on this site, and every value is escaped.

expect: pass
"""

import hmac
import html
import secrets
import sys
from http.cookies import SimpleCookie
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

port = int(sys.argv[1])
USERS = {"jon": "jacky", "brian": "dorsey"}
BOOKS = {
    "978-1904811848": ("CherryPy Essentials: Rapid Python Web Application Development", "Sylvain Hellegouarch",
                       "Packt Publishing (March 31, 2007)"),
    "978-0521725965": ("Python for Software Design: How to Think Like a Computer Scientist", "Allen B. Downey",
                       "Cambridge University Press; 1 edition (March 16, 2009)"),
    "978-1430230038": ("Foundations of Python Network Programming", "John Goerzen",
                       "Apress; 2 edition (December 21, 2010)"),
}  # fmt: skip
SESSIONS: dict[str, str] = {}  # session id -> user name


def local(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//") and "\\" not in target


class Request:
    def __init__(self, environ):
        self.method, self.path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.query = parse_qs(environ.get("QUERY_STRING", ""))
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        self.cookies = {name: morsel.value for name, morsel in cookies.items()}
        size = int(environ.get("CONTENT_LENGTH") or 0)
        self.form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
        self.user = SESSIONS.get(self.cookies.get("session", ""))
        self.token = self.cookies.get("csrftoken") or secrets.token_urlsafe(24)
        self.headers = [] if "csrftoken" in self.cookies else [("Set-Cookie", f"csrftoken={self.token}; Path=/")]

    def csrf_ok(self) -> bool:
        return hmac.compare_digest(self.form.get("csrfmiddlewaretoken", ""), self.cookies.get("csrftoken", "-"))


def page(req: Request, body: str, user: bool = True) -> str:
    token = f"<input type='hidden' name='csrfmiddlewaretoken' value='{req.token}'>"
    who = f"<p>User: {html.escape(req.user or '')}</p><form method='post' action='/accounts/logout/'>{token}"
    who += "<button>Logout</button></form>"
    return f"<!DOCTYPE html><title>Book Database</title>{who if user else ''}{body}"


def login_page(req: Request, error: str = "") -> str:
    nxt = html.escape(req.form.get("next") or req.query.get("next", ["/books/"])[0])
    return page(req, f"""{error}<form method="post" action="">
<input type="hidden" name="csrfmiddlewaretoken" value="{req.token}"><input type="hidden" name="next" value="{nxt}">
User name: <input name="username"> Password: <input type="password" name="password"><button>login</button></form>""",
        user=False)  # fmt: skip


def route(req: Request):
    if req.path == "/accounts/login/":
        if req.method != "POST":
            return "200 OK", [], login_page(req)
        if not req.csrf_ok():
            return "403 Forbidden", [], "CSRF verification failed"
        if USERS.get(req.form.get("username", "")) != req.form.get("password"):
            return "200 OK", [], login_page(req, "<p class='error'>Sorry, that's not a valid username or password</p>")
        sid = secrets.token_urlsafe(32)
        SESSIONS[sid] = req.form["username"]
        target = req.form.get("next", "/books/")
        cookie = ("Set-Cookie", f"session={sid}; HttpOnly; Path=/; SameSite=Lax")
        return "302 Found", [("Location", target if local(target) else "/books/"), cookie], ""
    if req.path == "/accounts/logout/":
        if req.method != "POST" or not req.csrf_ok():
            return "405 Method Not Allowed", [], "POST a logout form"
        SESSIONS.pop(req.cookies.get("session", ""), None)
        expire = ("Set-Cookie", "session=; Max-Age=0; Path=/")
        return "200 OK", [expire], "<p>Logged out</p><a href='/accounts/login/?next=/books/'>Login</a>"
    if req.path == "/books":
        return "301 Moved Permanently", [("Location", "/books/")], ""
    if not req.path.startswith("/books/"):
        return "404 Not Found", [], "404 - page not found"
    if req.user is None:
        return "302 Found", [("Location", f"/accounts/login/?next={quote(req.path)}")], ""
    if req.path == "/books/":
        items = "".join(f'<li><a href="/books/detail/{i}">{html.escape(b[0])}</a></li>' for i, b in BOOKS.items())
        return "200 OK", [], page(req, f"<h1>Books</h1><ul>{items}</ul>")
    isbn = req.path.removeprefix("/books/detail/")
    if isbn not in BOOKS:
        return "404 Not Found", [], "404 - page not found"
    title, author, publisher = (html.escape(field) for field in BOOKS[isbn])
    facts = f"<ul><li>ISBN: {isbn}</li><li>Publisher: {publisher}</li><li>Author: {author}</li></ul>"
    return "200 OK", [], page(req, f'<h1>{title}</h1>{facts}<a href="/books/">Back</a>')


def app(environ, start_response):
    req = Request(environ)
    status, headers, body = route(req)
    data = body.encode()
    length = ("Content-Length", str(len(data)))
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), length, *req.headers, *headers])
    return [data]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", port, app, server_class=Server, handler_class=Quiet).serve_forever()
