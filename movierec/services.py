"""Writes for accounts and API tokens: registration, and issuing, rotating and revoking a person's token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token


def user_register(*, username: str, password: str, email: str = "") -> AbstractBaseUser:
    """Create an account with the same rules as the sign-up page: username rules, email format, password validators."""
    user = get_user_model()(username=username, email=email)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
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
        # Two sign-ups raced past full_clean's uniqueness check with the same name.
        raise ValidationError({"username": "A user with that username already exists."}) from None
    return user


def token_issue(*, user: AbstractBaseUser) -> Token:
    """The person's API token, created on first use; signing in on a second device gets the same one."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_rotate(*, user: AbstractBaseUser) -> Token:
    """Replace the person's token: the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user: AbstractBaseUser) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
