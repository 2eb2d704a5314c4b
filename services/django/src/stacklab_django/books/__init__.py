"""The bookshop: the course's five books, login-only pages, a per-session shopping cart and a search."""
