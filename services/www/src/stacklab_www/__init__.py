"""The course's hand-written HTTP servers: hello_www, echo_www and the thirty-minute web server ws30."""
