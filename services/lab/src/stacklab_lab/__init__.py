"""The lab index page and the health checks shared by the health suite, the index and fab status."""
