"""Charts drawn on the server as SVG with pygal, inlined into the page.

The content security policy allows no inline script or style, so every chart is cleaned after
pygal renders it: its <script> (pygal's tooltips), its <style>, its comments (which name
pygal's web site) and any style attribute are removed, and the chart's look comes from
`chart_stylesheet()`, served from this host by `views.chart_css`. What remains is plain SVG
with classes; the numbers are always repeated in a table next to the chart.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

import pygal
from django.utils.safestring import SafeString, mark_safe
from lxml import etree
from pygal.style import Style
from pygal.util import minify_css, template

SVG_NS = "http://www.w3.org/2000/svg"
# The only URLs allowed in a chart: XML namespaces, which name a vocabulary, not a request.
NAMESPACE_URLS = {SVG_NS, "http://www.w3.org/1999/xlink"}

CHART_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#333333",
    foreground_strong="#222222",
    foreground_subtle="#888888",
    opacity=".9",
    opacity_hover="1",
    transition="0s",
    # colour 0: the product's red; 1: green (met); 2: amber (held / below a line); 3: grey
    colors=("#b71c1c", "#2e7d32", "#e65100", "#9e9e9e", "#1565c0"),
    font_family='"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", '
    "sans-serif",
    # Sized for a chart 480 units wide shown in a phone's 330 px: about 11 px on the screen.
    label_font_size=16,
    major_label_font_size=16,
    value_font_size=15,
    value_label_font_size=15,
    title_font_size=17,
    legend_font_size=16,
    no_data_font_size=20,
)

PREFIX = ".pygal-chart "


def _config(**extra) -> dict:
    config = {
        "style": CHART_STYLE,
        "js": [],  # no tooltip script from pygal's CDN
        "css": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "no_data_text": "暂无数据",
        "show_legend": False,
        "legend_at_bottom": True,
        "margin": 8,
        "spacing": 8,
        "truncate_label": -1,
        "truncate_legend": -1,
        "print_values": True,
        "no_prefix": True,
        "pretty_print": False,
    }
    config.update(extra)
    return config


def clean_svg(svg: str, *, label: str, css_class: str = "") -> SafeString:
    """Remove what CSP would block or what names another host; add an accessible name."""
    root = etree.fromstring(svg.encode("utf-8"))
    for node in root.iter(etree.Comment):
        node.getparent().remove(node)
    for tag in ("script", "style"):
        for node in root.findall(f".//{{{SVG_NS}}}{tag}"):
            node.getparent().remove(node)
    for node in root.xpath(".//*[contains(concat(' ', @class, ' '), ' tooltip-overlay ')]"):
        node.getparent().remove(node)
    for node in root.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("style", None)
    title = root.find(f"{{{SVG_NS}}}title")
    if title is not None:
        title.text = label
    if css_class:
        root.set("class", f"{root.get('class', '')} {css_class}".strip())
    root.set("role", "img")
    root.set("aria-label", label)
    root.attrib.pop("id", None)
    text = etree.tostring(root, encoding="unicode")
    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if url not in NAMESPACE_URLS:
            raise ValueError(f"chart refers to another host: {url}")
    return mark_safe(text)  # noqa: S308 - built by pygal from our numbers, cleaned above


def _render(chart, label: str, css_class: str = "") -> SafeString:
    return clean_svg(chart.render(is_unicode=True), label=label, css_class=css_class)


def share_bars(*, title: str, labels: list[str], shares: list[float | None]) -> SafeString:
    """Horizontal bars of a share (0–100 %) per label: indicators, or child regions."""
    height = 50 + 34 * max(len(labels), 1)
    longest = max((len(label) for label in labels), default=0)
    chart = pygal.HorizontalBar(
        **_config(
            width=480,
            height=height,
            # pygal sizes label margins for Latin letters; a Chinese character is about twice
            # as wide, so add the other half.
            margin_left=8 + int(longest * CHART_STYLE.label_font_size * 0.45),
            range=(0, 100),
            y_labels=[0, 25, 50, 75, 100],
            show_y_guides=False,
            value_formatter=lambda v: f"{v:.0f}%",
        )
    )
    # pygal draws the first label at the bottom; reversed, the chart reads like the table.
    chart.x_labels = list(reversed(labels))
    chart.add(title, [None if s is None else round(100 * s, 1) for s in reversed(shares)])
    return _render(chart, title)


def _count_ticks(values: list[int]) -> list[int]:
    """Whole-number axis labels for counts (pygal's own would repeat "1" for 0.2, 0.4…)."""
    top = max([v for v in values if v] or [1])
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        step = candidate
        if top / candidate <= 6:
            break
    else:
        step = -(-top // 6)
    return list(range(0, top + step, step))


def visit_trend(
    *, title: str, months: list[str], credited: list[int], held: list[int]
) -> SafeString:
    """Credited visits per month, with the visits still held for review stacked on top."""
    chart = pygal.StackedBar(
        **_config(
            width=480,
            height=300,
            show_legend=True,
            print_values=False,
            x_label_rotation=0,
            value_formatter=lambda v: f"{v:,.0f}",
        )
    )
    chart.x_labels = months
    chart.y_labels = _count_ticks([c + h for c, h in zip(credited, held, strict=True)])
    chart.add("计入考核", credited)
    chart.add("待审核", held)
    return _render(chart, title, "trend-chart")


def income_bands(*, title: str, bands: list[str], below: list[int], above: list[int]) -> SafeString:
    """Villages per income band, bands under the line in amber and over it in green."""
    chart = pygal.StackedBar(
        **_config(
            width=480,
            height=300,
            show_legend=True,
            value_formatter=lambda v: f"{v:.0f}" if v else "",
        )
    )
    chart.x_labels = bands
    chart.y_labels = _count_ticks([b + a for b, a in zip(below, above, strict=True)])
    chart.add("未达收入线", below)
    chart.add("达到收入线", above)
    return _render(chart, title, "income-chart")


@lru_cache(maxsize=1)
def chart_stylesheet() -> str:
    """pygal's own stylesheets, rendered for every chart of the product at once (the class
    `pygal-chart` instead of one chart's id), with the tooltip rules left out."""

    strokes = ""
    colors = CHART_STYLE.get_colors(PREFIX, len(CHART_STYLE.colors))
    css_dir = os.path.join(os.path.dirname(pygal.__file__), "css")
    parts = []
    for name in ("base.css", "style.css", "graph.css"):
        with open(os.path.join(css_dir, name), encoding="utf-8") as handle:
            parts.append(
                template(
                    handle.read(), style=CHART_STYLE, colors=colors, strokes=strokes, id=PREFIX
                )
            )
    css = minify_css("\n".join(parts))
    # Series colours by meaning: held visits and villages under the line in amber, villages
    # over it in green (colour 0 is the product's red everywhere else).
    amber, green = CHART_STYLE.colors[2], CHART_STYLE.colors[1]
    extra = (
        ".pygal-chart{max-width:100%;height:auto;display:block}"
        f".trend-chart .color-1,.trend-chart .color-1 a:visited{{fill:{amber};stroke:{amber}}}"
        f".income-chart .color-0,.income-chart .color-0 a:visited{{fill:{amber};stroke:{amber}}}"
        f".income-chart .color-1,.income-chart .color-1 a:visited{{fill:{green};stroke:{green}}}"
    )
    return css + "\n" + extra + "\n"
