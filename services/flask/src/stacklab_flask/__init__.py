"""The course's Flask echo and Flask bookshop on one app factory."""
