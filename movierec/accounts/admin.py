"""Device tokens in the admin: who is signed in where. Only the digest and the token's first characters are
stored, so not even a superuser can read a token back; staff may sign a device out (delete it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from movierec.accounts.models import DeviceToken


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "device", "token_key", "created", "expiry"]
    search_fields = ["user__username", "device", "token_key"]
    list_select_related = ["user"]
    fields = readonly_fields = ["user", "device", "token_key", "created", "expiry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by signing in

    def has_change_permission(self, request: HttpRequest, obj: DeviceToken | None = None) -> bool:
        return False
