"""Per-device API tokens: django-rest-knox's hashed, expiring token, with the name of the device it was made for."""

from __future__ import annotations

from django.db import models
from knox.models import AbstractAuthToken


class DeviceToken(AbstractAuthToken):
    """One signed-in device. Only a SHA-512 digest of the token is stored; ``token_key`` is its first characters,
    enough to tell devices apart in a list and to revoke one, useless for signing in."""

    device = models.CharField(max_length=100, blank=True, help_text="What the person called this device.")

    class Meta:
        verbose_name = "device token"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} · {self.device or 'unnamed device'} · {self.token_key}"
