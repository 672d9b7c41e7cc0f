"""Shapes of accounts, devices and tokens in the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from movierec.accounts.models import DeviceToken


class RegisterSerializer(serializers.Serializer):
    # The rules (allowed characters, reserved names, uniqueness, password strength) live in
    # movierec.accounts.services.user_register.
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, max_length=128)
    device = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, max_length=128)
    device = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100, help_text="A name for this device, e.g. 'Phone'."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as the header `Authorization: Token <token>`. Shown only once.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")
    device = serializers.CharField(help_text="This device's id in GET /api/v1/me/devices/.")

    @staticmethod
    def issued(token: DeviceToken, raw: str) -> dict:
        return {"token": raw, "expiry": token.expiry, "device": token.token_key}


class DeviceSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", help_text="The token's first characters; not usable to sign in.")
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this device's token.")

    class Meta:
        model = DeviceToken
        fields = ["id", "device", "created", "expiry", "current"]

    def get_current(self, token: DeviceToken) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return isinstance(auth, DeviceToken) and auth.digest == token.digest


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_staff", "date_joined"]


class RegisteredSerializer(TokenSerializer):
    user = MeSerializer()


class DeleteAccountSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, max_length=128)
