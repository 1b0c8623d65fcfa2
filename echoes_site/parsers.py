"""The API's JSON parser: DRF's, with limits on what the body may contain.

Python's json module recurses once per nesting level: a body of 1,000+ nested lists
raised RecursionError, a 500, on every endpoint (also the unauthenticated token
endpoint). A lone surrogate ("\\ud800") is valid JSON but not valid text; it reached
PostgreSQL and failed there, another 500. Both are now a 400 in the error format.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def check_json_value(data: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """ParseError if `data` nests deeper than `max_depth` or holds a string that is not
    valid Unicode text (a lone surrogate). Iterative: no recursion on hostile input."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(
                    "JSON parse error - the body contains a lone surrogate (\\ud800-\\udfff)."
                ) from None
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        check_json_value(data)
        return data
