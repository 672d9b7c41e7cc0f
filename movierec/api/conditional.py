"""Conditional GET for API reads: an ETag on every successful read, 304 when the client's copy is current."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from drf_spectacular.openapi import AutoSchema
from rest_framework.request import Request


class _ConditionalGetSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if self.method == "GET":
            responses["304"] = {"description": "Not modified: the ETag sent in If-None-Match still matches."}
        return responses


class ConditionalGetMixin:
    """Give successful reads an ETag so clients revalidate with If-None-Match and get 304 when nothing changed.

    The tag hashes the rendered body, so it changes exactly when the answer does
    (a new rating moves a movie's mean too, which a Last-Modified from the movie row would miss).
    """

    schema = _ConditionalGetSchema()

    def finalize_response(self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            # The same URL answers differently per person (hidden movies leave lists): caches must keep them apart.
            patch_vary_headers(response, ("Authorization",))
            response.render()
            set_response_etag(response)
            response = get_conditional_response(request, etag=response.headers["ETag"], response=response)
        return response
