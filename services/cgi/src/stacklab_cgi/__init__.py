"""The course's CGI echo programs for Apache httpd (mod_cgid), written without the removed cgi module."""
