"""Writes for accounts: registration, per-device API tokens, and deleting an account with everything in it."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from movierec.accounts.models import DeviceToken
from ratings.models import Profile
from ratings.services import user_data_delete

#: Names a person cannot sign up with: MovieLens people are imported as ``ml_<id>`` (their identity itself lives in
#: ``Profile.movielens_id``, which sign-up cannot set), and names that would pass for the site speaking.
RESERVED_USERNAME = re.compile(r"^(ml_.*|admin|administrator|root|staff|support|moderator|movierec|api|system)$")


def username_normalize(username: str) -> str:
    """NFKC, as Django's forms do: full-width and compatibility characters become their plain forms."""
    return unicodedata.normalize("NFKC", username).strip()


def username_problems(username: str) -> list[str]:
    """Why ``username`` cannot be signed up with; empty if it can."""
    try:
        # ASCII letters, digits and @.+-_ only: no look-alike letters, no other scripts' digits.
        ASCIIUsernameValidator()(username)
    except ValidationError as error:
        return error.messages
    if RESERVED_USERNAME.match(username.casefold()):
        return ["That username is reserved; please choose another."]
    User = get_user_model()
    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
        return ["A user with that username already exists."]
    return []


def user_register(*, username: str, password: str, email: str = "") -> AbstractBaseUser:
    """Create an account with the same rules as the sign-up page: username rules, email format, password validators."""
    username = username_normalize(username)
    user = get_user_model()(username=username, email=get_user_model().objects.normalize_email(email))
    errors: dict[str, list[str]] = {}
    if problems := username_problems(username):
        errors["username"] = problems
    try:
        user.full_clean(exclude=["password", "username"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups raced past the uniqueness check with the same name.
        raise ValidationError({"username": "A user with that username already exists."}) from None
    return user


def token_issue(*, user: AbstractBaseUser, device: str = "", ttl: timedelta | None = None) -> tuple[DeviceToken, str]:
    """A new token for one device: (the stored record, the token itself, which is shown this once only)."""
    kwargs = {} if ttl is None else {"expiry": ttl}
    return DeviceToken.objects.create(user=user, device=device.strip()[:100], **kwargs)


@transaction.atomic
def token_rotate(*, token: DeviceToken) -> tuple[DeviceToken, str]:
    """Replace one device's token: the old one stops working at once, the new one gets a full lifetime."""
    token.delete()
    return token_issue(user=token.user, device=token.device)


def token_revoke(*, token: DeviceToken) -> None:
    token.delete()


def device_revoke(*, user: AbstractBaseUser, token_key: str) -> bool:
    """Sign one of the person's devices out; False if they have no such device."""
    deleted, _ = DeviceToken.objects.filter(user=user, token_key=token_key).delete()
    return bool(deleted)


def devices_revoke_all(*, user: AbstractBaseUser) -> int:
    deleted, _ = DeviceToken.objects.filter(user=user).delete()
    return deleted


def tokens_expired_delete() -> int:
    """Expired tokens already fail to sign in; this only keeps the table small (a periodic task calls it)."""
    deleted, _ = DeviceToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


@transaction.atomic
def account_delete(*, user: AbstractBaseUser, password: str) -> None:
    """Delete the account and everything stored about the person, once they confirm with their password.

    Ratings and feedback go through ``user_data_delete``, so the recommender hears about the change and the
    next retrain no longer learns from them; the profile, favourite genres, tokens, sessions' user and admin
    log entries go with the user row (foreign keys cascade).
    """
    if not user.check_password(password):
        raise ValidationError({"password": "That is not your password; nothing was deleted."})
    user_data_delete(user=user)
    Profile.objects.filter(user=user).delete()
    user.delete()
