"""Account pages: sign up (throttled per client), my account (devices, export, delete the account)."""

from __future__ import annotations

import math

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.throttling import SimpleRateThrottle

from movierec.accounts import services
from movierec.accounts.models import DeviceToken
from ratings.selectors import user_counts


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), help_text="Confirm with your password."
    )


class _SignupThrottle(SimpleRateThrottle):
    """The API's "signup" scope (ScopedRateThrottle keys it the same way), for the page: one budget per client."""

    scope = "signup"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        throttle = _SignupThrottle()
        if not throttle.allow_request(request, None):
            seconds = math.ceil(throttle.wait() or throttle.duration)
            response = render(
                request, "registration/signup_throttled.html", {"minutes": max(1, round(seconds / 60))}, status=429
            )
            response["Retry-After"] = str(seconds)
            return response
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # One registration path for the site and the API (accounts.services), so their rules cannot drift apart.
        try:
            user = services.user_register(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email", ""),
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to MovieRec, {user.username}!")
            return redirect("ratings:welcome")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """My account: who I am, the devices signed in through the API, my data, and deleting the account."""
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error("password", error.message_dict["password"])
        else:
            logout(request)
            messages.success(request, "Your account and everything stored about you were deleted.")
            return redirect("home")
    context = {
        "form": form,
        "devices": DeviceToken.objects.filter(user=request.user),
        "counts": user_counts(user=request.user),
    }
    return render(request, "registration/account.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def device_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    if services.device_revoke(user=request.user, token_key=token_key):
        messages.success(request, "That device is signed out.")
    else:
        messages.error(request, "You have no such device.")
    return redirect("account")
