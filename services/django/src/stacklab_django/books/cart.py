"""The shopping cart: a list of ISBNs in the user's session (so it lives in django_session with the login)."""

SESSION_KEY = "cart"


def isbns(session) -> list[str]:
    return list(session.get(SESSION_KEY, []))


def add(session, isbn: str) -> None:
    cart = isbns(session)
    if isbn not in cart:
        session[SESSION_KEY] = [*cart, isbn]


def remove(session, isbn: str) -> None:
    session[SESSION_KEY] = [item for item in isbns(session) if item != isbn]
