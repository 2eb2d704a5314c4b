"""One hint per usual mistake: what a failed check tells the student. Ids are stable (tests and reports key on
them); the texts are str.format templates filled with the failure's facts."""

HINTS = {
    # Reaching the server, and the checker itself.
    "not-listening": "nothing accepted a connection on port {port}: is the server running, on this port? (a server "
    "that reads stdin stops at once when stdin is closed, as under nohup, Docker or systemd)",
    "too-slow": "the check ran out of time ({seconds:g} s): the server answers too slowly, or never",
    "checker-error": "this is a bug in the checker, not in your server: please report it with this output",
    # The reply to one message.
    "no-reply": "nothing came back: does the server send its reply on the connection it accepted?",
    "waits-for-eof": "the reply came only after the client closed its side: the server reads until end of file, "
    "but the course's client sends one message and waits for the answer; reply after one recv",
    "waits-for-newline": "the reply came only after a newline: the server reads lines (readline), but the course's "
    "clients send what the user typed, without a newline; echo what each recv returns",
    "closed-without-reply": "the server closed the connection without replying: did it fail on this input? (its "
    "log says)",
    "no-prefix": "the reply has no prefix: it must begin with '{prefix}: ' (your GitHub name, given as --prefix; "
    "'uw-student' in the course's samples)",
    "wrong-prefix": "the reply begins with {used!r} instead of {prefix!r}: the prefix is your GitHub name (the "
    "checker's --prefix); is it hard-coded?",
    "prefix-format": "the prefix is not written as the course writes it: '{prefix}', a colon and a space, then the "
    "data unchanged",
    "adds-newline": "the reply has {extra!r} more at its end: send back the data as received, adding nothing",
    "strips-newline": "the line ending was dropped: the server strips the data (strip, rstrip, splitlines); echo "
    "the bytes unchanged",
    "mismatch": "the reply differs from the expected one at byte {offset}: compare the two above",
    # One-shot echo.
    "no-close": "the reply came but the connection stayed open: the one-shot echo server closes each connection "
    "after its one reply",
    "exits-after-one": "the server answered one client and then no other: loop around accept()",
    "dies-on-empty": "a client that connected and closed without sending stopped the server: recv returns b'' "
    "then; send nothing, close that connection and keep serving",
    "dies-on-long": "after a message of {size:,} bytes the server no longer answers: recv returns at most its "
    "bufsize, so a piece may end inside a UTF-8 character; keep the data as bytes (do not decode it)",
    # Repeat echo and the select server.
    "closes-after-one": "the connection closed after the first reply: this server keeps it open and echoes every "
    "message until the client closes (a loop around recv)",
    "ignores-eof": "the client closed its side but the server kept the connection open: recv returning b'' means "
    "the client is done; close the connection",
    "recv-once": "got {received:,} of {size:,} bytes back: the server calls recv once; loop until the client has sent "
    "everything",
    "decodes-chunks": "the server closed after echoing {offset:,} of {size:,} bytes: the message has two-byte UTF-8 "
    "characters and a recv returned a piece ending inside one, so decoding it failed; echo the bytes as they came "
    "(do not decode each recv), or use an incremental decoder",
    "lost-bytes": "got {received:,} of {size:,} bytes of the message back: part was lost on the way; send every reply "
    "with sendall (send may send only part of it)",
    "not-serial": "client B was answered while A was still connected: the course's recho serves one client at a "
    "time on purpose (the contrast with the select server); no threads or select here",
    "drops-waiting": "client B, queued while A was connected, got no answer after A left: after a client closes, "
    "go back to accept() and serve the next",
    "dies-on-reset": "after a client disconnected abruptly (a TCP reset), the server stopped answering: recv or "
    "send raise ConnectionResetError then; catch OSError for that client only, close it and keep serving (the "
    "2012 select and chat servers crashed so)",
    "serial": "client B waited while A was connected and silent: the server serves one client at a time; select "
    "over all the sockets (or a thread per client) so that no client waits for another",
    "echo-to-all": "client {who} received another client's echo: the select echo server answers the sender only "
    "(sending to everyone is the chat server)",
    "fifty": "only {answered} of {clients} clients connected at once were answered within {wait:g} s: serve every "
    "connected client, not a fixed number of them",
    "slow-client": "while one client sent without reading its replies, the others got no answer: a blocking send "
    "to that client stalls the whole server; send without blocking, with a bounded buffer per client (drop a "
    "client that owes too much), or give each client its own thread",
    # Chat.
    "not-broadcast": "client B got nothing when A spoke: the chat server sends every message to all connected clients",
    "sender-excluded": "the sender got no copy of its own message: the course's chat sends every message to all "
    "clients, the sender included",
    "chat-format": "a chat line is '{prefix} ('ip', port): message': the prefix, a space, the sender's address as "
    "a Python tuple, a colon and a space, then the message",
    "wrong-sender": "the line names {named} but the message came from {sender}: tag it with the sender's address "
    "as the server sees it (accept()'s second value)",
    "dies-on-close": "after client B left (a normal close) the others no longer hear each other: drop a client "
    "from the list when its recv returns b'', and never send to a closed socket",
    # HTTP servers: hello_www, echo_www, ws30 (exercises/http.py).
    "blank-before-status": "the response begins with a blank line (the 2012 hello_www and echo_www did so): the "
    "first bytes must be the status line, 'HTTP/1.0 200 OK\\r\\n'; curl and http.client reject anything else",
    "no-status-line": "the response does not begin with a status line: send 'HTTP/1.0 200 OK\\r\\n', then the "
    "headers, a blank line and the body",
    "bare-lf": "a line of the response head ends in '\\n' alone (the 2012 ws30 did so): HTTP ends the status line "
    "and every header with '\\r\\n', and the head with an empty line, '\\r\\n'",
    "header-no-colon": "the header line {line!r} has no colon (the 2012 hello_www sent 'Content-Type text/html'): "
    "write 'Name: value'",
    "no-content-length": "the response has no Content-Length: send 'Content-Length: N', N the body's length in "
    "bytes, so that the client knows where the body ends",
    "content-length-mismatch": "Content-Length says {said} but the body has {size:,} bytes: count the bytes of the "
    "encoded body (len(body) after .encode()), not the characters of the text, and send that very body",
    "status-not-200": "GET {target} answered status {status}, not 200",
    "not-html": "the page came as {type!r}: send 'Content-Type: text/html' (a browser shows text/plain as source)",
    "no-hello": "the page must say 'Hello, world!', whatever the method and path (the server ignores the request's "
    "content)",
    "hello-no-prefix": "the page does not name {prefix!r}: the lab asks for your GitHub name (the checker's "
    "--prefix) on the page as well as 'Hello, world!'",
    "head-has-body": "HEAD got a body: a HEAD response is the GET response's status and headers with no body "
    "(check the method, the first word of the request line)",
    "dies-on-malformed": "after a request line that is not 'METHOD path HTTP/1.x' the server stopped answering: "
    "catch the error for that request (split() gave fewer words), answer 400 and keep serving",
    "malformed-not-4xx": "a malformed request line got no '400 Bad Request': check that it has three words and "
    "a version 'HTTP/1.x', and answer 400 when not",
    "reads-once": "the server answered before the request was complete: it reads the request with one recv, but "
    "TCP may deliver it in pieces; read until the empty line that ends the head ('\\r\\n\\r\\n')",
    "echo-missing": "the page does not say '{prefix}: {target}': echo the request target, the second word of the "
    "request line, as it came",
    "echo-query-dropped": "the page does not say '{prefix}: {target}': echo the whole target as sent, query string "
    "included and not URL-decoded",
    "unescaped-echo": "the echoed path went into the page as HTML, so a link can run a script in the reader's "
    "browser (reflected XSS): escape it with html.escape",
    "listing-title": "the listing of {directory} must be titled with its path: <title>{directory}</title>",
    "listing-entries": "the listing has no link to {missing}: link every entry of the directory (os.listdir)",
    "no-parent-link": "the listing has no '..' link: put one first, to the parent directory",
    "listing-order": "the entries are not in sorted order: sort the names (sorted(os.listdir(path)); upper case "
    "sorts first)",
    "no-slash-redirect": "a directory asked for without its trailing slash must be answered '301 Moved' with "
    "'Location: <path>/', so that relative links in its listing resolve inside it",
    "file-differs": "the body differs from the file: send its bytes as they are (open it in binary, add nothing: "
    "the 2012 ws30 added a newline)",
    "wrong-type": "{target} came as {type!r}, not {want!r}: take the type from the extension with "
    "mimetypes.guess_type (the 2012 ws30 sent the non-standard image/jpg)",
    "no-404": "a file that does not exist must be answered '404 Not Found'",
    "no-date": "GET .../date.html must answer '{prefix}: ' and the current date and time "
    "(datetime.datetime.now()) as text/plain, whatever the file system holds",
    "script-not-run": "GET /print_time.py must run the script (subprocess.run([sys.executable, path], "
    "capture_output=True, timeout=...)) and answer its output, not its source",
    "traversal": "GET {target} served a file outside the document root: a '..' segment climbs out of it; refuse "
    "any path with a '..' segment (400) or check that the resolved path stays under the root",
    "traversal-encoded": "GET {target} served a file outside the root: %2e%2e is '..' once URL-decoded; decode the "
    "path first, then refuse '..' segments",
}

# The client exercises (`stacklab-check client`): what a student's client did wrong against the recording server.
HINTS |= {
    "client-no-connect": "your client made no connection to the address it was given: the checker runs it as "
    "COMMAND HOST PORT, as the course ran its clients (`python recho_client.py [host [port]]`); take the host "
    "from sys.argv[1] and the port from sys.argv[2]",
    "client-sends-nothing": "the line {line!r}, typed, never reached the server: the client speaks first and sends "
    "each line as soon as it is read; a recv before the send, or a read of more than a line (sys.stdin.read(n)), "
    "waits for ever",
    "client-sends-other": "your client sent {sent!r} for the typed lines {want!r}: send each line's text encoded "
    "(str.encode()), with nothing added but an optional newline",
    "client-no-print": "the server's reply {reply!r} never appeared on your client's output: print what recv "
    "returns (decoded), not what you sent",
    "client-no-close": "the server closed the connection but your client neither closed its own nor exited: recv "
    "returning b'' means the server is done; close the socket and end",
    "client-crashed": "your client exited with status {status}: the last line of its stderr is in the transcript",
    "client-recv-once": "the reply ({size:,} bytes) was not printed whole: one recv returns what has arrived so far, "
    "at most its bufsize, not a whole message; keep calling recv until you have it all (to b'' for the echo server, "
    "to the echo of everything you sent for recho)",
    "client-reconnects": "your client made {count} connections for {lines} lines: connect once per session and send "
    "every line on that connection (lab02_discussion.txt); a connection per line worked only with the week-1 server",
    "client-waits-for-all-input": "your client sent nothing until its input ended: it reads all of stdin first "
    "(sys.stdin.read()); read one line, send it, print the reply, then read the next",
    "client-empty-line": "an empty line did not end your client: the course's client closes its connection and "
    "exits when the user enters an empty line",
    "client-eof-crash": "at the end of input (Ctrl-D, or a file piped in) your client crashed (status {status}): "
    "input() raises EOFError there; catch it, or read with sys.stdin.readline() ('' at the end), then close and exit",
    "client-eof-hang": "at the end of input your client kept running: sys.stdin.readline() returns '' at the end, "
    "again and again; stop there, close the socket and exit",
    "client-blocks-on-stdin": "another user's message did not show while your client waited for input: it blocks "
    "in input() (the recho client's design); select over stdin and the socket (course.md 1.4) and print what the "
    "socket brings as it comes",
    "client-spins-on-close": "the server closed and your client printed empty lines without end: after a close "
    "recv returns b'' at once, forever (the 2012 chat client's bug); close the socket and exit when it does",
}

# The web client (week 5, `stacklab-check client web`): a downloader of the course page's .py links.
HINTS |= {
    "web-no-fetch": "your client fetched nothing from the URL it was given: the checker runs it as COMMAND URL N; "
    "take the page's URL from sys.argv[1] and the number of files from sys.argv[2]",
    "web-relative-urls": "your client asked for {path}, which the page does not link to: resolve each href against "
    "the page's own URL (urllib.parse.urljoin(page_url, href)); a relative href is relative to the page's directory",
    "web-fetches-other": "your client fetched {path}, which is not a Python file: keep the hrefs that END in '.py' "
    "(href.endswith('.py')), not those that merely contain it",
    "web-no-limit": "{count} files were saved for N = {n}: stop after N downloads",
    "web-missing": "only {count} of the {n} files asked for were saved in the current directory, each under its "
    "URL's last part (its basename)",
    "web-file-name": "a file was saved as {name!r}: save each download in the current directory under the last part "
    "of its URL (posixpath.basename of the URL's path)",
    "web-content": "{name} differs from what the server sent: write the response's bytes unchanged, in binary mode "
    "(open(name, 'wb').write(response.read())), not str() of them",
    "web-count": "your client printed {printed!r} but saved {count} files: print how many were downloaded, which "
    "is fewer than N when the page has fewer (the 2012 download.py returned N regardless)",
    # The JSON web-API clients (clients/api.py).
    "api-no-exit": "your client kept running: it makes its requests, prints, and exits (status 0)",
    "api-extra-requests": "your client made {count} requests where the task needs one per document: GET each URL "
    "once and reuse what came back (one json.loads of the list, one GET per blob)",
    "api-http-error": "after {what} your client crashed or carried on as if nothing happened: catch "
    "urllib.error.HTTPError (or check response.status), print a message saying what failed and sys.exit(1)",
    "api-malformed": "after {what} your client crashed or carried on: json.loads raises ValueError "
    "(json.JSONDecodeError) on a malformed document; catch it, say the server's answer was not JSON, sys.exit(1)",
    "json-no-fetch": "your client did not GET the URL it was given: the checker runs it as COMMAND URL; fetch "
    "sys.argv[1] as it is",
    "json-not-pretty": "the JSON document was not printed pretty: print json.dumps(document, indent=2), not the dict "
    "(its repr has single quotes and True, which is not JSON) nor the raw one-line reply",
    "json-no-datetime": "the value of the document's datetime key, {value!r}, was not printed on a line of its own: "
    "print(document['datetime'])",
    "gh-no-list": "your client never asked for the blob list: GET BASE{path}, BASE being sys.argv[1] "
    "(the API's base URL, the number of files sys.argv[2])",
    "gh-other-request": "your client asked for {request}, which the API does not have: each blob is "
    "BASE/blob/show/jon-jacky/uw_python/SHA, the SHA from the list",
    "gh-filter-prefix": "your client downloaded {name}: keep the names that START with 'winter_2012' "
    "(name.startswith('winter_2012')), not those that contain it",
    "gh-filter-suffix": "your client downloaded {name}, which is not a Python file: keep the names that END in '.py' "
    "(name.endswith('.py')), not those that contain it",
    "gh-file-name": "a file was saved as {name!r}: save each blob in the current directory under the last part of "
    "its name (posixpath.basename(name))",
    "gh-content": "{name} differs from the blob the server sent: write the response's bytes unchanged, in binary mode",
    "gh-no-limit": "{count} files were saved for N = {n}: stop after N downloads",
    "gh-missing": "only {count} of the {n} files asked for were saved in the current directory",
    "gh-count": "your client printed {printed!r} but saved {count} files: print how many were downloaded, which is "
    "fewer than N when the repository has fewer (the 2012 github_download_many returned N regardless)",
}

# The web apps (weeks 6-8: exercises/webapp.py, message_history.py): CGI, WSGI and Flask echo, the books site.
HINTS |= {
    "form-missing": "GET {page} has no <form> with a text field named 'message': the course's form page has "
    '<input type="text" name="message" size="40"> inside its form',
    "form-action": "the form's action leads to {resolved}, not {want}: a relative action resolves against the "
    "page's URL (the course's handout left out cgi-bin/); write the action the course does",
    "form-method": "the form's method is {method}: the echo form is a GET form, so that the reply's URL carries "
    "?message=... (the course's echo reads the query string)",
    "content-type-name": "there is no Content-Type header, only {line!r}: the 2012 echo_wsgi sent "
    "'Content_type: text/HTML' (an underscore); send 'Content-Type: text/html; charset=utf-8'",
    "echo-no-message": "the reply does not say 'Message: {message}': take the first value of the query's "
    "'message' field (urllib.parse.parse_qs; request.args in Flask) and put it on the page after 'Message: '",
    "unescaped-message": "the message went into the page as HTML, so a link can run a script in the reader's "
    "browser (reflected XSS, course.md section 4 item 15): escape it with html.escape, or let a Jinja2 template "
    "(render_template) do it; a hand-built string does not",
    "double-escaped": "the message was escaped twice ('&' shows as '&amp;amp;'): escape once, where the page is "
    "built (a Jinja2 template escapes by itself: do not html.escape before render_template)",
    "form-decoding": "'{sent}' should read '{message}': a form encodes a space as '+' and '&' as %26; decode "
    "the query with urllib.parse.parse_qs (unquote leaves the '+'; splitting after unquote breaks at the %26)",
    "non-ascii": "{want!r}, sent as UTF-8 percent escapes, came back as {shown!r}: decode the query as UTF-8 "
    "(parse_qs's default) and send the page encoded as UTF-8, saying so: 'Content-Type: text/html; "
    "charset=utf-8'",
    "empty-message-crash": "an empty or missing message made the app fail ({what}): a blank value is dropped by "
    "parse_qs, so the key is missing; use .get() and answer 400 or the form (the 2012 echo_wsgi's KeyError gave "
    "a 500)",
    "bad-query-crash": "the malformed query {query!r} made the app fail ({what}): decode leniently "
    "(parse_qs replaces what is not UTF-8, keeps a broken %-escape as it is) and never let an exception escape",
    "traceback-shown": "the page shows a Python traceback: it tells anyone your code, paths and settings "
    "(cgitb.enable() in the 2012 CGI; course.md section 4 item 17); log the error and answer a plain error page",
    "debugger-exposed": "the error page is the Werkzeug interactive debugger: with debug=True whoever reaches "
    "the app can run Python on your server (course.md section 4 item 17); never run with debug outside your "
    "own machine",
    "not-404": "GET {target} answered status {status}: a path the app does not serve must get '404 Not Found' "
    "(the 2012 echo_wsgi sent its '404' page with status 200, so browsers, caches and crawlers keep it as a page)",
    "history-by-get": "messages are added by a GET (the 2012 solution: each /echo_wsgi.py?message=... added "
    "one): a GET must change nothing (a prefetcher or a link on another site would add messages; course.md "
    "section 4 items 13 and 19); put a POST form on {page}, with a CSRF token, and redirect back after it",
    "no-history-page": "GET {page} shows no history with a POST form: the week-7 revision lists every message "
    "since startup, newest first, on {page}, with a form (method POST, field 'message') to add one",
    "post-refused": "the POST of the history page's own form, with its hidden fields and the cookies the page "
    "set, got status {status}: accept it, then redirect (303) to the history page or show it",
    "history-missing": "{message!r}, posted by client {who}, is not on the history page afterwards: keep every "
    "message in one store for the app's life (a module-level list, or a database that every worker process "
    "shares), not in a local variable or one process of several",
    "history-order": "the history lists {older!r} before {newer!r}: newest first, as the course's solution "
    "(insert at the front, or reverse when showing)",
    "history-not-shared": "a new visitor (client B, no cookies) does not see what A posted: the history is kept "
    "per visitor (in the session cookie) or per worker process; keep one history on the server, shared by all, as "
    "the course's week-7 solution did (a database when there are several workers)",
    "no-csrf": "a bare POST of {message!r}, with no token and no cookie (what another site's page can send), was "
    "added: put a secret token in the form (a hidden field) tied to the visitor's cookie or session, and refuse "
    "a POST without it (403); course.md section 4 item 19",
    "books-missing": "the index has no link titled {title!r}: list every book of bookdb (BookDB().titles()), "
    "each title a link to its detail page",
    "book-detail": "{target} does not show the {field} {value!r}: a detail page shows the book's title, ISBN, "
    "publisher and author (BookDB().title_info(id))",
    "oreilly": "the publisher reads 'OReilly Media': the 2012 bookdb.py's 'O''Reilly Media' is two Python "
    'strings glued together (course.md section 4 item 21); write "O\'Reilly Media"',
    "unknown-book-500": "an unknown book gave status {status}: title_info raises KeyError for it; answer 404 "
    "(flask.abort(404)), not a server error",
}

# The Django sites (weeks 9-10, exercises/django_booksite.py and django_bookshop.py).
HINTS |= {
    "books-links": "/books/ must list every book as a link from its title to /books/detail/<isbn>: {title!r} "
    "does not link to /books/detail/{isbn} (the course's 3 books, course.md 3.2; more may follow)",
    "books-append-slash": "GET /books must be a 301 to /books/: keep Django's CommonMiddleware and APPEND_SLASH "
    "(on by default), and map the index at 'books/' with the slash",
    "root-not-404": "GET / answered {status}, not 404: the course maps nothing at the root (its test_empty expects "
    "404)",
    "debug-on": "the site runs with DEBUG = True: its error pages show the settings, URLs and code to anyone; set "
    "DEBUG = False (and ALLOWED_HOSTS) outside development",
    "books-detail": "the detail page must show the title, then 'ISBN: ...', 'Publisher: ...' and 'Author: ...': "
    "{missing!r} is missing",
    "no-back-link": "the detail page needs a link 'Back' to /books/",
    "detail-link-broken": "the index links {target}, which does not show that book: build each link from the book's "
    "ISBN ({{% url 'detail' book.isbn %}}), and look the book up by that ISBN",
    "unknown-isbn": "an unknown ISBN answered {status}, not 404: Books.objects.get raises DoesNotExist, a 500 (the "
    "2012 booksite's bug); use get_object_or_404",
    "unescaped-isbn": "the ISBN from the URL went into the page as HTML (reflected XSS): render it through a "
    "template (which escapes) or html.escape it",
    "login-fails": "logging in as {user!r} did not redirect: is the account on the site (the checker's --user and "
    "--password; the course's jon/jacky by default)?",
    "login-throttled": "the site refused the login with 429 (a login rate limit or lockout): wait a minute, or grade "
    "a site whose limit lets a few logins through",
    "login-not-required": "an anonymous GET {target} must be a 302 to /accounts/login/?next={target}: decorate the "
    "view with @login_required (LOGIN_URL is /accounts/login/)",
    "detail-not-protected": "the detail pages must require the login too: @login_required on the detail view as "
    "well as on the index",
    "no-login-form": "the login page must hold a POST form with the inputs 'username' and 'password' (Django's "
    "LoginView with templates/registration/login.html)",
    "no-csrf-token": "the login form has no CSRF token: put {{% csrf_token %}} inside the <form> (course.md 1.17, "
    "step 5)",
    "unescaped-next": "`next` from the URL went into the login page as HTML (reflected XSS): let the template "
    "escape it ({{{{ next }}}}, never |safe)",
    "csrf-not-checked": "a login POST without the CSRF token was accepted: keep CsrfViewMiddleware and never "
    "@csrf_exempt the login view, so that another site cannot post your form",
    "wrong-password-accepted": "a wrong password logged in: check it with django.contrib.auth's authenticate() "
    "(LoginView does), never the user name alone",
    "no-login-error": "a wrong password must give the form again (200) with an error, as the course's login.html "
    "did: 'Sorry, that's not a valid username or password' ({{% if form.errors %}})",
    "next-ignored": "after the login the site must go to `next` (/books/): post `next` back with the form (a "
    'hidden input, or action="" keeping ?next=); without it Django goes to LOGIN_REDIRECT_URL, '
    "/accounts/profile/ by default, which does not exist",
    "session-lost": "the login redirected, but {target} still did not answer 200: the session cookie was not set or "
    "not accepted back (SessionMiddleware and AuthenticationMiddleware, django.contrib.sessions installed)",
    "no-user-shown": "the pages must say 'User: {user}': {{{{ user.username }}}} in the template",
    "cookie-not-httponly": "the session cookie {cookie!r} is not HttpOnly: a script in the page could steal the "
    "session; keep SESSION_COOKIE_HTTPONLY = True (Django's default)",
    "open-redirect": "the login followed `next` to another site: a link to your login page could send your users "
    "anywhere (an open redirect); accept only local paths (url_has_allowed_host_and_scheme; LoginView does)",
    "logout-get": "a GET of /accounts/logout/ logged out: any page or image could log your users out (CSRF); "
    "Django 5 refuses GET logout (405), so make the Logout link a small POST form with {{% csrf_token %}}",
    "no-logout-form": "the pages need a Logout form, method POST, to /accounts/logout/ with the CSRF token (Django "
    "5's LogoutView takes POST only)",
    "logout-keeps-session": "after logout the old session cookie still worked: the session must end on the server "
    "(auth.logout flushes it; a signed-cookie session cannot be ended so)",
}
