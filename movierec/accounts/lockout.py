"""Who a client is, and what a locked-out one is told: shared by django-axes and the API's throttles.

Both read the address the way DRF does with ``NUM_PROXIES`` (the ``TRUSTED_PROXIES`` variable): with none,
the socket's address; with N, the N-th address from the right of ``X-Forwarded-For``, which the client cannot
forge past our own proxies. A new header on each try is then the same client.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from movierec.api.errors import error_body


def client_address(request: HttpRequest) -> str:
    return BaseThrottle().get_ident(request)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """429 with Retry-After: in the API's one error format under /api/, else the site's page."""
    seconds = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, round(seconds / 60))
    message = f"Too many failed sign-ins for this account or from this address; try again in {minutes} minutes."
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(429, "locked_out", message), status=429)
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response
