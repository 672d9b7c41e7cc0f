"""Shapes of accounts and tokens in the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers


class RegisterSerializer(serializers.Serializer):
    # The rules (allowed characters, uniqueness, password strength) live in movierec.services.user_register.
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, max_length=128)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as the header `Authorization: Token <token>`.")


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_staff", "date_joined"]


class RegisteredSerializer(serializers.Serializer):
    user = MeSerializer()
    token = serializers.CharField()
