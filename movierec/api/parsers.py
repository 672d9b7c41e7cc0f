"""The API's JSON parser: DRF's, with a body nested too deeply for Python's parser answered 400, not 500.

(A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused before parsing, as 413: see ``movierec.api.errors``.)
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class JSONParserWithDepthLimit(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
