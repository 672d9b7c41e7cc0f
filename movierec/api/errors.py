"""The API's one error format, and its place in the OpenAPI schema.

Every error response has the same body, so a client needs one parser::

    {"error": {"status": 400, "code": "invalid", "message": "score: Score must be ...",
               "fields": {"score": ["Score must be ..."]}}}

``fields`` appears only for validation errors; ``message`` always names the
field(s) at fault, so a client that shows only the message still says what to fix.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated for clients that lose it."},
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. invalid, not_found."},
                "message": {"type": "string", "description": "One human-readable sentence naming what is wrong."},
                "fields": {
                    "type": "object",
                    "description": "Validation errors per field (dotted paths for nested fields).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

_NON_FIELD_KEYS = {"non_field_errors", "__all__"}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is over the {limit // 1024} KiB this API accepts.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's handler (status codes, WWW-Authenticate, Retry-After, rollback) with the body reshaped."""
    # Django's exceptions become DRF's here (DRF does it too, but only inside its handler) to read their codes.
    if isinstance(exc, DjangoValidationError):
        # Services validate too (score_validate, feedback kinds) and raise Django's error naming the field.
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads the body through request.body, where Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE.
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected failure still answers in the one format; the traceback goes to the log.
        request = context.get("request")
        logger.error("Unhandled API error on %s", getattr(request, "path", "?"), exc_info=exc)
        set_rollback()
        response = Response(status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        response.data = error_body(response.status_code, "server_error", "The server failed to answer; it was logged.")
        return response

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("", [])
        parts = general + [f"{name}: {' '.join(messages)}" for name, messages in fields.items()]
        response.data = error_body(response.status_code, "invalid", " ".join(parts) or "Invalid input.", fields)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(response.status_code, code if isinstance(code, str) else "error", str(exc))
    return response


def error_body(status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


@csrf_exempt  # it changes nothing, and a CSRF failure would answer with the site's HTML page instead
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any URL under the API prefix that no route matches: 404 in the API's format, not the site's HTML page."""
    return JsonResponse(error_body(404, "not_found", f"No API endpoint at {request.path}."), status=404)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Serializer errors (nested dicts and lists) as {"dotted.path": [messages]}; "" holds non-field errors."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key in _NON_FIELD_KEYS else f"{prefix}.{key}" if prefix else str(key)
            for path, messages in _flatten(value, name).items():
                flat.setdefault(path, []).extend(messages)
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            for path, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                flat.setdefault(path, []).extend(messages)
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix: [str(message) for message in messages]}


_STATUS_TEXT = {
    "400": "Invalid input; `fields` names each field at fault.",
    "401": "Not signed in, or the token is invalid.",
    "403": "Signed in but not allowed (staff only, or a missing CSRF token on a session write).",
    "404": "No such object, or it belongs to someone else.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: add the error format and each operation's possible error statuses.

    1. 401 and 429 can answer anything (a bad token header, a throttle).
    2. 400 where the operation takes a body or query parameters.
    3. 403 where the operation is not open to everyone, or writes (CSRF on session writes).
    4. 404 where the path names an object, or the operation pages (a page past the end).
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            parameters = operation.get("parameters", [])
            query = {parameter["name"] for parameter in parameters if parameter.get("in") == "query"}
            codes = ["401", "429"]
            if "requestBody" in operation or query:
                codes.append("400")
            if {} not in operation.get("security", [{}]) or method not in ("get", "head", "options"):
                codes.append("403")
            if any(parameter.get("in") == "path" for parameter in parameters) or "page" in query:
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code, {"description": _STATUS_TEXT[code], "content": {"application/json": {"schema": reference}}}
                )
    return result
