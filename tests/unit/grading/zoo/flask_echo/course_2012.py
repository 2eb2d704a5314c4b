"""The course's week07/echo_flask.py, ported to Flask 3 as it was (course.md 1.13): a constant form page, the
reply `"Message: " + request.args['message']` returned unescaped, app.debug = True (the reloader is off, so that
one kill stops it), and no history yet.

expect: unescaped-message
"""

import sys

from flask import Flask, request

port = int(sys.argv[1])
app = Flask(__name__)

form_page = """<head>
<title>Echo request</title>
</head>
<body>
<form method="GET" action="echo_flask.py">
<input type="text" name="message" size="40">
<input type="submit" value="Submit">
</form>
</body>
</html>
"""


@app.route("/echo_flask.html")
def form():
    return form_page


@app.route("/echo_flask.py")
def echo():
    # request.form is empty: the form's method is GET; request.args holds the query
    return "Message: " + request.args["message"]


app.debug = True
app.run("127.0.0.1", port, use_reloader=False)
