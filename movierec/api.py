"""Accounts API for mobile clients: register, trade a password for a token, rotate or revoke it, and read me."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from movierec import services
from movierec.serializers import MeSerializer, RegisteredSerializer, RegisterSerializer, TokenSerializer


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "auth"

    @extend_schema(summary="Create an account", request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        token = services.token_issue(user=user)
        return Response(RegisteredSerializer({"user": user, "token": token.key}).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    throttle_scope = "auth"

    def get_permissions(self) -> list[BasePermission]:
        # Anyone may try to sign in; only the token's owner may revoke it.
        return [permissions.AllowAny()] if self.request.method == "POST" else [permissions.IsAuthenticated()]

    @extend_schema(
        summary="Sign in: trade username and password for a token",
        request=AuthTokenSerializer,
        responses={200: TokenSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = services.token_issue(user=serializer.validated_data["user"])
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(summary="Sign out: revoke my token", responses={204: None})
    def delete(self, request: Request) -> Response:
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRefreshView(APIView):
    throttle_scope = "auth"

    @extend_schema(summary="Rotate my token: a new one replaces it", request=None, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        token = services.token_rotate(user=request.user)
        return Response(TokenSerializer({"token": token.key}).data)


class MeView(APIView):
    @extend_schema(summary="Who I am", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
