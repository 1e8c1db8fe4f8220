"""The API's JSON parser: DRF's, with a bound on nesting.

A body such as `[[[[…]]]]` nested a hundred thousand deep makes the json module raise
RecursionError, which DRF's parser does not catch (a 500). Here a body nested deeper than
`max_depth` is refused before it is parsed (one pass over its brackets, strings skipped), and a
RecursionError that still escapes the parser is a ParseError too: both are answered 400 in the
API's error shape (api/exceptions.py). No endpoint takes anything nested more than a few levels.
"""

from __future__ import annotations

import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

MAX_JSON_DEPTH = 64

# A JSON string (its brackets do not nest anything) and what is not a bracket.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar)."""
    if text.count("[") + text.count("{") == 0:
        return 0
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class SafeJSONParser(JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if text.count("[") + text.count("{") > self.max_depth and (
            json_depth(text) > self.max_depth
        ):
            raise ParseError(self._too_deep())
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise ParseError(self._too_deep()) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc

    def _too_deep(self) -> str:
        return _("JSON 嵌套过深（最多 %(limit)d 层）。") % {"limit": self.max_depth}
