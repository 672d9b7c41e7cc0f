"""Accounts API for mobile clients: register, sign a device in and out, list my devices, delete my account."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from movierec.accounts import services
from movierec.accounts.models import DeviceToken
from movierec.accounts.serializers import (
    DeleteAccountSerializer,
    DeviceSerializer,
    MeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    SignInSerializer,
    TokenSerializer,
)


def _current_token(request: Request) -> DeviceToken:
    if not isinstance(request.auth, DeviceToken):
        raise exceptions.ValidationError({"authorization": "Send this device's token: a session has no token."})
    return request.auth


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(summary="Create an account", request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = serializer.validated_data.pop("device")
        user = services.user_register(**serializer.validated_data)
        token, raw = services.token_issue(user=user, device=device)
        body = {**TokenSerializer.issued(token, raw), "user": user}
        return Response(RegisteredSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    throttle_scope = "auth"

    def get_permissions(self) -> list[BasePermission]:
        # Anyone may try to sign in; only the token's owner may revoke it.
        return [permissions.AllowAny()] if self.request.method == "POST" else [permissions.IsAuthenticated()]

    @extend_schema(
        summary="Sign in: trade username and password for a token for this device",
        description="Repeated failures lock the account and the address out for a while (429).",
        request=SignInSerializer,
        responses={200: TokenSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = SignInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # django-axes counts the failures and refuses a locked-out account or address inside authenticate();
        # its middleware then answers 429 in the API's format (accounts.lockout.lockout_response).
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise exceptions.ValidationError("Unable to log in with provided credentials.")
        token, raw = services.token_issue(user=user, device=data["device"])
        return Response(TokenSerializer(TokenSerializer.issued(token, raw)).data)

    @extend_schema(summary="Sign out: revoke this device's token", responses={204: None})
    def delete(self, request: Request) -> Response:
        services.token_revoke(token=_current_token(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRefreshView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Rotate this device's token: a new one replaces it", request=None, responses={200: TokenSerializer}
    )
    def post(self, request: Request) -> Response:
        token, raw = services.token_rotate(token=_current_token(request))
        return Response(TokenSerializer(TokenSerializer.issued(token, raw)).data)


class MeView(APIView):
    @extend_schema(summary="Who I am", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class DeleteAccountView(APIView):
    @extend_schema(
        summary="Delete my account and everything stored about me",
        description="Confirm with the password. Ratings, feedback, profile, favourite genres and every device go.",
        request=DeleteAccountSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        serializer = DeleteAccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.account_delete(user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyDevicesView(APIView):
    @extend_schema(summary="The devices signed in to my account", responses={200: DeviceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        devices = DeviceToken.objects.filter(user=request.user)
        return Response(DeviceSerializer(devices, many=True, context={"request": request}).data)

    @extend_schema(operation_id="me_devices_destroy_all", summary="Sign every device out", responses={204: None})
    def delete(self, request: Request) -> Response:
        services.devices_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyDeviceView(APIView):
    @extend_schema(
        summary="Sign one device out",
        responses={204: None, 404: OpenApiResponse(description="No such device of mine.")},
    )
    def delete(self, request: Request, token_key: str) -> Response:
        if not services.device_revoke(user=request.user, token_key=token_key):
            raise exceptions.NotFound(f"You have no device {token_key}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
