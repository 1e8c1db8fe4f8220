"""Rendered charts kept for a while (issue 17): a chart is a pure function of what it is drawn
from (title, labels, figures — the figures come from the stored results, so new results draw a
new chart), the language and the drawing code, and those make its key. Drawing an SVG with pygal
and cleaning it costs several milliseconds a chart; the dashboards draw three per page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import get_language

from assessments import charts

CHART_SECONDS = 600
# The drawing code is part of the key: a changed chart module draws afresh.
DRAWING_VERSION = hashlib.sha1(Path(charts.__file__).read_bytes()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value


def chart_key(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    what = repr(
        (DRAWING_VERSION, draw.__module__, draw.__qualname__, get_language(), _plain(args))
        + (_plain(kwargs),)
    )
    return "chart:" + hashlib.sha256(what.encode("utf-8")).hexdigest()


def cached_chart(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`draw(*args, **kwargs)`, or the same chart drawn from the same inputs a moment ago."""
    key = chart_key(draw, *args, **kwargs)
    svg = cache.get(key)
    if svg is None:
        svg = draw(*args, **kwargs)
        cache.set(key, svg, CHART_SECONDS)
    return svg
