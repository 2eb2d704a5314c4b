"""The course's chat server and interactive chat client."""
