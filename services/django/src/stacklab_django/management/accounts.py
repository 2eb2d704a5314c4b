"""What the account commands share: reading a password from configuration and reconciling one user with it."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import CommandError

from stacklab_django.env import env_secret


def configured_password(var: str) -> str | None:
    """The value of VAR or of the file named by VAR_FILE; None when neither is set."""
    try:
        return env_secret(var)
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from None


def check_strength(username: str, email: str, password: str) -> None:
    """With DEBUG off, a configured password must pass AUTH_PASSWORD_VALIDATORS (no 'jacky' in production)."""
    if settings.DEBUG:
        return
    try:
        validate_password(password, get_user_model()(username=username, email=email))
    except ValidationError as exc:
        raise CommandError(f"the password for {username!r} is too weak: {' '.join(exc.messages)}") from None


def reconcile(username: str, email: str, password: str, **flags: bool) -> str:
    """Make the user exist with this e-mail, password and flags; say 'created', 'updated' or 'unchanged'.

    The password is re-hashed only when it differs, so a second run changes nothing.
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, email=email, **flags)
        user.set_password(password)
        user.save()
        return "created"
    wanted = {"email": email, **flags}
    changed = [field for field, value in wanted.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, wanted[field])
    if not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if not changed:
        return "unchanged"
    user.save()
    return "updated"
