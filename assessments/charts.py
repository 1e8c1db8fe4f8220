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
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from lxml import etree
from lxml.etree import _Element as Element
from pygal.style import Style
from pygal.util import minify_css, template

from assessments.selectors import INCOME_BANDS
from assessments.status import (
    BEHIND,
    CLOSE,
    MET,
    SHARE_CLOSE,
    SHARE_MET,
    STATUS_LABELS,
    share_status,
)

SVG_NS = "http://www.w3.org/2000/svg"
# The only URLs allowed in a chart: XML namespaces, which name a vocabulary, not a request.
NAMESPACE_URLS = {SVG_NS, "http://www.w3.org/1999/xlink"}

# met / close / behind: the product's green and red (app.css --ok, --bad) and an amber that
# tells itself apart from the red.
STATUS_COLOURS = {"met": "#2e7d32", "close": "#f0a000", "behind": "#c62828"}

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
# The income chart's line falls before the first band that starts at 20,000 yuan (DOMAIN.md).
INCOME_LINE_BAND = next(
    (i for i, (low, _high, _label) in enumerate(INCOME_BANDS) if low == Decimal("20000")), None
)


def _config(**extra: Any) -> dict:
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


def clean_svg(
    svg: str, *, label: str, css_class: str = "", decorate: Callable | None = None
) -> SafeString:
    """Remove what CSP would block or what names another host; add an accessible name.
    `decorate(root)` may add status classes, threshold lines and a legend first."""
    root = etree.fromstring(svg.encode("utf-8"))
    if decorate is not None:
        decorate(root)
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


def _render(
    chart: Any, label: str, css_class: str = "", decorate: Callable | None = None
) -> SafeString:
    return clean_svg(
        chart.render(is_unicode=True), label=label, css_class=css_class, decorate=decorate
    )


# --- status: colours by met / close / behind, the threshold drawn, a legend in Chinese ----------
# A label longer than this is cut with "…" on the chart (at 360 px the bars keep their room);
# the full label is the label's tooltip (<title>) and is in the table next to the chart.
LABEL_MAX_CHARS = 8
LEGEND_ROW = 26  # chart units per legend row
SHORT_BAR = 48  # chart units: a bar shorter than its value's text gets the value after its end


def short_label(label: str) -> str:
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1] + "…"


def _q(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def _has_class(node: Element, name: str) -> bool:
    return name in (node.get("class") or "").split()


def _add_class(node: Element, name: str) -> None:
    node.set("class", f"{node.get('class', '')} {name}".strip())


def _plot(root: Element) -> Element:
    """The plot group (translated by the margins; bars and guides are drawn inside it)."""
    return next(n for n in root.iter(_q("g")) if (n.get("class") or "").split() == ["plot"])


def _value_axis(plot: Element) -> tuple[float, float, float]:
    """(x of 0 %, x of 100 %, plot height) read from the horizontal bar chart's value guides."""
    positions: dict[str, float] = {}
    height = 0.0
    for guide in plot.iter(_q("g")):
        path, text = guide.find(_q("path")), guide.find(_q("text"))
        if path is None or text is None or text.text not in ("0%", "100%"):
            continue
        match = re.match(r"M([\d.]+) ([\d.]+) v([\d.]+)", path.get("d", ""))
        if match:
            positions[text.text] = float(match[1])
            height = float(match[3])
    return positions["0%"], positions["100%"], height


def _line(parent: Element, *, x: float, y1: float, y2: float, css_class: str, title: str) -> None:
    line = etree.SubElement(parent, _q("line"))
    line.set("x1", f"{x:.2f}")
    line.set("x2", f"{x:.2f}")
    line.set("y1", f"{y1:.2f}")
    line.set("y2", f"{y2:.2f}")
    line.set("class", css_class)
    etree.SubElement(line, _q("title")).text = title


def _legend(root: Element, *, top: float, rows: list[list[tuple[str, str]]]) -> None:
    """Rows of (swatch class, text) at the foot of the chart, left-aligned, in Chinese."""
    legend = etree.SubElement(root, _q("g"))
    legend.set("class", "status-legend")
    size = CHART_STYLE.legend_font_size
    for r, row in enumerate(rows):
        x, y = 8.0, top + r * LEGEND_ROW
        for swatch, text in row:
            if swatch.startswith("line"):
                mark = etree.SubElement(legend, _q("line"))
                mark.set("x1", f"{x:.1f}")
                mark.set("x2", f"{x + 18:.1f}")
                mark.set("y1", f"{y + size / 2:.1f}")
                mark.set("y2", f"{y + size / 2:.1f}")
            else:
                mark = etree.SubElement(legend, _q("rect"))
                mark.set("x", f"{x:.1f}")
                mark.set("y", f"{y + 2:.1f}")
                mark.set("width", "14")
                mark.set("height", "14")
            mark.set("class", swatch)
            label = etree.SubElement(legend, _q("text"))
            label.set("x", f"{x + 22:.1f}")
            label.set("y", f"{y + size - 2:.1f}")
            label.text = text
            # A Chinese character is about one font size wide, a digit or sign about half.
            width = sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)
            x += 22 + width + 14


def share_bars(*, title: str, labels: list[str], shares: list[float | None]) -> SafeString:
    """Horizontal bars of a share (0–100 %) per label: indicators, or child regions. Each bar is
    coloured by its status (assessments.status: met at 100 %, close from 80 %, behind below),
    the 80 % and 100 % lines are drawn, and a legend in Chinese says so."""
    short = [short_label(label) for label in labels]
    height = 50 + 34 * max(len(labels), 1) + 2 * LEGEND_ROW
    longest = max((len(label) for label in short), default=0)
    chart = pygal.HorizontalBar(
        **_config(
            width=480,
            height=height,
            # pygal sizes label margins for Latin letters; a Chinese character is about twice
            # as wide, so add the other half.
            margin_left=8 + int(longest * CHART_STYLE.label_font_size * 0.45),
            margin_bottom=8 + 2 * LEGEND_ROW,
            margin_right=28,  # half of the "100%" under the axis' right end
            range=(0, 100),
            y_labels=[0, 25, 50, 75, 100],
            show_y_guides=False,
            value_formatter=lambda v: f"{v:.0f}%",
        )
    )
    # pygal draws the first label at the bottom; reversed, the chart reads like the table.
    chart.x_labels = list(reversed(short))
    chart.add(title, [None if s is None else round(100 * s, 1) for s in reversed(shares)])
    statuses = [None if s is None else share_status(s) for s in reversed(shares)]
    full = list(reversed(labels))

    def decorate(root: Element) -> None:
        plot = _plot(root)
        bars = [n for n in plot.iter(_q("g")) if _has_class(n, "bar")]
        for bar, status in zip(bars, [s for s in statuses if s is not None], strict=False):
            _add_class(bar, f"status-{status}")
        # A value on a short bar would sit over the axis' labels: put it after the bar's end.
        overlay = next((g for g in root.iter(_q("g")) if _has_class(g, "text-overlay")), None)
        values = overlay.findall(f".//{_q('text')}") if overlay is not None else []
        for bar, value in zip(bars, values, strict=False):
            rect = bar.find(_q("rect"))
            width = float(rect.get("width") or 0) if rect is not None else 0.0
            if rect is not None and width < SHORT_BAR:
                value.set("x", f"{float(rect.get('x') or 0) + width + 4:.2f}")
                value.set("text-anchor", "start")
        # The full label as the tooltip of a cut one (the axis' <title> held a value).
        guides = [
            g
            for axis in plot.iter(_q("g"))
            if _has_class(axis, "axis") and _has_class(axis, "y")
            for g in axis.iter(_q("g"))
            if _has_class(g, "guides")
        ]
        for guide, label in zip(guides, full, strict=False):
            tip = guide.find(_q("title"))
            if tip is None:
                tip = etree.SubElement(guide, _q("title"))
            tip.text = label
        x0, x100, plot_height = _value_axis(plot)
        for share, css, text in (
            (SHARE_CLOSE, "threshold-line threshold-close", _("接近线 %(n)d%%")),
            (SHARE_MET, "threshold-line threshold-met", _("达标线 %(n)d%%")),
        ):
            x = x0 + (x100 - x0) * share
            _line(plot, x=x, y1=-4, y2=plot_height, css_class=css, title=text % {"n": 100 * share})
        _legend(
            root,
            top=height - 2 * LEGEND_ROW - 2,
            rows=[
                [
                    ("swatch status-met", str(STATUS_LABELS[MET])),
                    ("swatch status-close", _("接近（≥%(n)d%%）") % {"n": 100 * SHARE_CLOSE}),
                    ("swatch status-behind", _("落后（<%(n)d%%）") % {"n": 100 * SHARE_CLOSE}),
                ],
                [
                    ("line threshold-close", _("接近线 %(n)d%%") % {"n": 100 * SHARE_CLOSE}),
                    ("line threshold-met", _("达标线 %(n)d%%") % {"n": 100 * SHARE_MET}),
                ],
            ],
        )

    return _render(chart, title, "share-chart", decorate)


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


def band_short_label(band: str) -> str:
    """An income band as the chart's axis writes it at 360 px: 1万～2万元 → 1～2万, 1万元以下 →
    1万以下 (the table next to the chart keeps the full label)."""
    band = band.replace("元", "")
    return re.sub(r"^(\d+)万～(\d+)万$", r"\1～\2万", band)


def income_bands(
    *,
    title: str,
    bands: list[str],
    below: list[int],
    above: list[int],
    line_before: int | None = None,
    line_label: str = "",
) -> SafeString:
    """Villages per income band, those under the line in red (behind) and over it in green; the line
    is drawn before band `line_before` (by default the band that starts at 20,000 yuan)."""
    if line_before is None:
        line_before = INCOME_LINE_BAND
        line_label = line_label or str(_("收入线 2万元"))
    chart = pygal.StackedBar(
        **_config(
            width=480,
            height=300,
            show_legend=True,
            margin_top=30,  # room for the line's label
            value_formatter=lambda v: f"{v:.0f}" if v else "",
        )
    )
    chart.x_labels = [band_short_label(band) for band in bands]
    chart.y_labels = _count_ticks([b + a for b, a in zip(below, above, strict=True)])
    chart.add(_("未达收入线"), below)
    chart.add(_("达到收入线"), above)

    def decorate(root: Element) -> None:
        # The line between the last band under it and the first over it (INCOME_LINE_BAND).
        if line_before is None or not 0 < line_before < len(bands):
            return
        plot = _plot(root)
        series = next(g for g in plot.iter(_q("g")) if _has_class(g, "serie-0"))
        rects = [r for r in series.iter(_q("rect"))]
        if len(rects) != len(bands):
            return
        left = rects[line_before - 1]
        right = rects[line_before]
        x = (float(left.get("x")) + float(left.get("width")) + float(right.get("x"))) / 2
        background = plot.find(_q("rect"))  # the plot's background: its height is the plot's
        height = float(background.get("height")) if background is not None else 0.0
        _line(
            plot, x=x, y1=0, y2=height, css_class="threshold-line threshold-met", title=line_label
        )
        text = etree.SubElement(plot, _q("text"))
        text.set("x", f"{x + 4:.2f}")
        text.set("y", "-8")  # in the margin above the plot
        text.set("class", "threshold-label")
        text.text = line_label

    return _render(chart, title, "income-chart", decorate)


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
    # Series colours by meaning: held visits in amber, villages under the income line red
    # (behind) and over it green (met); colour 0 is the product's red everywhere else.
    amber, green, behind = CHART_STYLE.colors[2], STATUS_COLOURS[MET], STATUS_COLOURS[BEHIND]
    extra = (
        ".pygal-chart{max-width:100%;height:auto;display:block}"
        f".trend-chart .color-1,.trend-chart .color-1 a:visited{{fill:{amber};stroke:{amber}}}"
        f".income-chart .color-0,.income-chart .color-0 a:visited{{fill:{behind};stroke:{behind}}}"
        f".income-chart .color-1,.income-chart .color-1 a:visited{{fill:{green};stroke:{green}}}"
        # Share bars by status (assessments.status), the same colours as the table's badges.
        f".pygal-chart .status-met{{fill:{STATUS_COLOURS[MET]};stroke:{STATUS_COLOURS[MET]}}}"
        f".pygal-chart .status-close{{fill:{STATUS_COLOURS[CLOSE]};stroke:{STATUS_COLOURS[CLOSE]}}}"
        f".pygal-chart .status-behind{{fill:{STATUS_COLOURS[BEHIND]};stroke:{STATUS_COLOURS[BEHIND]}}}"
        ".pygal-chart .threshold-line{stroke-width:2.5;fill:none}"
        f".pygal-chart .threshold-met{{stroke:{STATUS_COLOURS[MET]}}}"
        f".pygal-chart .threshold-close{{stroke:{STATUS_COLOURS[CLOSE]};stroke-dasharray:6 4}}"
        f".pygal-chart .status-legend text{{fill:#333;font-size:{CHART_STYLE.legend_font_size}px}}"
        ".pygal-chart .status-legend .swatch{stroke-width:0}"
        f".pygal-chart .threshold-label{{fill:{STATUS_COLOURS[MET]};font-size:14px}}"
        # Labels and values never cut: the text may run over the plot's edge, not be clipped.
        ".pygal-chart{overflow:visible}"
    )
    return css + "\n" + extra + "\n"
