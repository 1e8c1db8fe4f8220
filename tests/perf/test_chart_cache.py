"""Dashboard charts are drawn once for the same inputs (assessments.chart_cache): the same
title, labels and figures in the same language give the stored SVG; other figures, another
language or another drawing give a new one."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from assessments import chart_cache, charts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _counting(monkeypatch, name):
    drawn = []
    real = getattr(charts, name)

    def draw(*args, **kwargs):
        drawn.append(kwargs)
        return real(*args, **kwargs)

    draw.__qualname__ = real.__qualname__
    draw.__module__ = real.__module__
    return draw, drawn


def test_same_inputs_are_drawn_once(monkeypatch):
    draw, drawn = _counting(monkeypatch, "share_bars")
    inputs = {"title": "各项指标达标率", "labels": ["走访", "结对"], "shares": [0.5, 0.9]}
    first = chart_cache.cached_chart(draw, **inputs)
    again = chart_cache.cached_chart(draw, **inputs)
    assert again == first and len(drawn) == 1
    assert "<svg" in str(first)
    changed = chart_cache.cached_chart(draw, **{**inputs, "shares": [0.6, 0.9]})
    assert len(drawn) == 2 and changed != first


def test_language_and_drawing_are_part_of_the_key():
    inputs = {"title": "标题", "labels": ["甲"], "shares": [0.5]}
    with translation.override("zh-hans"):
        zh = chart_cache.chart_key(charts.share_bars, **inputs)
    with translation.override("en"):
        en = chart_cache.chart_key(charts.share_bars, **inputs)
    assert zh != en
    assert chart_cache.chart_key(charts.income_bands, **inputs) != zh


def test_dashboard_draws_its_charts_once_for_repeated_requests(world, client, monkeypatch):
    calls = []
    for name in ("share_bars", "visit_trend", "income_bands"):
        real = getattr(charts, name)

        def draw(*args, _real=real, **kwargs):
            calls.append(_real.__name__)
            return _real(*args, **kwargs)

        draw.__qualname__, draw.__module__ = real.__qualname__, real.__module__
        monkeypatch.setattr(charts, name, draw)
    client.force_login(world.reviewer)
    first = client.get(reverse("assessments:dashboard"))
    assert first.status_code == 200
    drawn = len(calls)
    assert drawn >= 1  # the visit trend is always drawn
    second = client.get(reverse("assessments:dashboard"))
    assert second.status_code == 200 and len(calls) == drawn
    assert second.content == first.content or b"<svg" in second.content
