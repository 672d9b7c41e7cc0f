"""API token authentication: django-rest-knox's, less its sweep of the person's other tokens on every request.

knox's ``TokenAuthentication`` deletes the person's other expired tokens each time it authenticates one: a
second query on every API call, for housekeeping that does not decide who is signed in. Here the presented
token's own expiry is still checked on every request (an expired token never signs in, and goes at once),
and the beat task ``tokens_expired_delete_task`` deletes the rest in bulk every hour.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.signals import token_expired


class DeviceTokenAuthentication(TokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """True (and the token deleted) when the presented token has expired; the others are left to the beat."""
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class DeviceTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme: knox's, for this subclass (drf-spectacular matches the exact class)."""

    target_class = "movierec.accounts.auth.DeviceTokenAuthentication"
