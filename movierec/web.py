"""Small helpers every HTML view shares: page-or-partial rendering, 400 responses, safe redirects back.

HTMX views render a partial when ``request.htmx`` is set and the full page
otherwise, so every endpoint also works as a plain link or form post.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def wants_partial(request: HttpRequest) -> bool:
    # A history restore (back button after a cache miss) asks for the whole page even though it is an HTMX request.
    return bool(request.htmx) and not request.htmx.history_restore_request


def page_or_partial(
    request: HttpRequest, page: str, partial: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    response = render(request, partial if wants_partial(request) else page, context, status=status)
    # The same URL answers with two bodies; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def form_errors(form: forms.Form) -> list[str]:
    """Every error of ``form`` as one line that names its field, e.g. ``"Score: Score must be ..."``."""
    lines = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        lines.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return lines


def bad_request(request: HttpRequest, form: forms.Form, *, partial: str = "_errors.html") -> HttpResponse:
    """400 naming each bad field: a small alert for HTMX, the error page otherwise."""
    template = partial if wants_partial(request) else "400.html"
    return render(request, template, {"errors": form_errors(form)}, status=400)


def next_url(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the form carried when it points back into this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=allowed, require_https=request.is_secure()):
        return candidate
    return fallback


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(next_url(request, fallback))


def staff_permission_required(permission: str) -> Callable:
    """A page for staff holding ``permission`` ("app_label.codename"): anonymous people are sent to log in, people
    who are not staff get a 404 (for them the page does not exist), staff without the permission a 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_staff:
                raise Http404("No such page.")
            if not request.user.has_perm(permission):
                raise PermissionDenied(f"You need the {permission} permission.")
            return view(request, *args, **kwargs)

        return guarded

    return decorator
