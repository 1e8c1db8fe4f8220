"""Charts show status (issue 15): each share bar coloured by met / close / behind
(assessments.status, one definition shared with the tables' badges), the 80 % and 100 % lines
drawn, a legend in Chinese, long labels cut on the chart with the full label as its tooltip;
at 360 px no label is clipped; each chart keeps its table."""

import datetime
import os

import pytest
from lxml import etree

from assessments import charts
from assessments.selectors import Share
from assessments.status import share_level, share_status

NS = {"s": "http://www.w3.org/2000/svg"}
LABELS = ["贫困户全年走访次数（计入考核）", "结对帮扶责任人", "一户一策", "村集体经济收入"]
SHARES = [1.0, 0.85, 0.4, None]


def svg_root(svg: str):
    return etree.fromstring(svg.encode("utf-8"))


@pytest.mark.parametrize(
    ("share", "status", "badge"),
    [
        (1.0, "met", "ok"),
        (0.999, "close", "warn"),
        (0.8, "close", "warn"),
        (0.79, "behind", "bad"),
        (0, "behind", "bad"),
    ],
)
def test_one_definition_of_met_close_behind(share, status, badge):
    assert share_status(share) == status and share_level(share) == badge


def test_the_tables_badges_use_it():
    class Indicator:
        pass

    assert [Share(Indicator(), 10, n).level for n in (10, 8, 7)] == ["ok", "warn", "bad"]


def test_share_bars_are_coloured_by_status_with_the_threshold_drawn():
    root = svg_root(charts.share_bars(title="各项指标达标率", labels=LABELS, shares=SHARES))
    bars = root.xpath("//s:g[contains(@class,'bar ')]", namespaces=NS)
    # pygal draws the last label first (bottom up); the None share has no bar.
    statuses = [b.get("class").split()[-1] for b in bars]
    assert statuses == ["status-behind", "status-close", "status-met"]
    lines = root.xpath("//s:line[contains(@class,'threshold-line')]", namespaces=NS)
    plot_lines = [line for line in lines if line.getparent().get("class") == "plot"]
    assert [line.get("class") for line in plot_lines] == [
        "threshold-line threshold-close",
        "threshold-line threshold-met",
    ]
    close, met = (float(line.get("x1")) for line in plot_lines)
    zero = float(bars[0].find("s:rect", NS).get("x"))
    assert (close - zero) == pytest.approx(0.8 * (met - zero), rel=0.01)
    # The full bar of 100 % ends on the 100 % line.
    full = bars[-1].find("s:rect", NS)
    assert float(full.get("x")) + float(full.get("width")) == pytest.approx(met, abs=0.5)
    legend = " ".join(root.xpath("//s:g[@class='status-legend']/s:text/text()", namespaces=NS))
    assert legend == "达标 接近（≥80%） 落后（<80%） 接近线 80% 达标线 100%"


def test_long_labels_are_cut_with_the_full_label_as_tooltip():
    root = svg_root(charts.share_bars(title="t", labels=LABELS, shares=SHARES))
    texts = root.xpath(
        "//s:g[contains(@class,'axis') and contains(@class,'y')]//s:text/text()", namespaces=NS
    )
    assert "贫困户全年走访…" in texts and all(len(t) <= charts.LABEL_MAX_CHARS for t in texts)
    tips = root.xpath(
        "//s:g[contains(@class,'axis') and contains(@class,'y')]//s:title/text()", namespaces=NS
    )
    assert LABELS[0] in tips


def test_the_income_chart_draws_its_line_between_the_bands():
    root = svg_root(
        charts.income_bands(
            title="收入",
            bands=["1万元以下", "1万～2万元", "2万～3万元", "3万～5万元", "5万元以上"],
            below=[2, 3, 0, 0, 0],
            above=[0, 0, 4, 1, 1],
        )
    )
    line = root.xpath("//s:line[contains(@class,'threshold-met')]", namespaces=NS)
    assert len(line) == 1 and line[0].find("s:title", NS).text == "收入线 2万元"
    rects = root.xpath("//s:g[contains(@class,'serie-0')]//s:rect", namespaces=NS)
    x = float(line[0].get("x1"))
    assert float(rects[1].get("x")) + float(rects[1].get("width")) < x < float(rects[2].get("x"))


def test_the_stylesheet_colours_each_status():
    css = charts.chart_stylesheet()
    for status, colour in charts.STATUS_COLOURS.items():
        assert f".pygal-chart .status-{status}{{fill:{colour}" in css
    assert "stroke-dasharray" in css


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_charts_at_360(world, live_server, phone_page, browser_login, shot):
    """The dashboard at 360 px: bars in status colours, the lines drawn, every label of every
    chart inside its chart, each chart next to its table, nothing wider than the screen."""
    from assessments.catalogue import load_indicator_catalogue
    from assessments.models import Indicator
    from assessments.periods import parse_period
    from assessments.services import period_evaluate
    from tests.factories import VisitFactory

    load_indicator_catalogue(Indicator)
    for day in (datetime.date(2026, 2, 2), datetime.date(2026, 5, 5)):
        VisitFactory(household=world.household_a, helper=world.helper_a, visited_on=day)
    period_evaluate(period=parse_period("2026"), today=datetime.date(2026, 12, 1))
    page = phone_page
    browser_login(page, world.reviewer)
    page.goto(f"{live_server.url}/assessments/?period=2026")
    page.wait_for_selector("svg.share-chart")
    fills = page.evaluate(
        """[...document.querySelectorAll('svg.share-chart g.bar')].map(
             (g) => [g.getAttribute('class'), getComputedStyle(g.querySelector('rect')).fill])"""
    )
    colours = {
        "status-met": "rgb(46, 125, 50)",
        "status-close": "rgb(230, 81, 0)",
        "status-behind": "rgb(198, 40, 40)",
    }
    assert fills and all(fill == colours[cls.split()[-1]] for cls, fill in fills)
    assert page.locator("svg.share-chart g.plot > line.threshold-met").count() == 1
    # Every text of every chart lies inside its chart's box (nothing clipped at 360 px).
    clipped = page.evaluate(
        """[...document.querySelectorAll('svg.pygal-chart')].flatMap((svg) => {
             const box = svg.getBoundingClientRect();
             return [...svg.querySelectorAll('text')].filter((t) => {
               const r = t.getBoundingClientRect();
               return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1);
             }).map((t) => t.textContent);
           })"""
    )
    assert clipped == []
    assert page.evaluate("document.documentElement.scrollWidth <= 360")
    # Each chart keeps its table.
    assert (
        page.locator(".chart-pair:has(svg.pygal-chart) table").count()
        == page.locator(".chart-pair svg.pygal-chart").count()
    )
    page.locator("svg.share-chart").scroll_into_view_if_needed()
    shot(page, "dashboard-share-chart")
    page.locator("svg.income-chart").scroll_into_view_if_needed()
    shot(page, "dashboard-income-chart")
    page.screenshot(
        path=os.path.join(os.path.dirname(shot(page, "x")), "phone-dashboard-full.png"),
        full_page=True,
    )
