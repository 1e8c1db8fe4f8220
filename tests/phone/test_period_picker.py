"""The period is chosen from a picker (issue 15): the periods that exist — from the first one
evaluated (or ASSESSMENT_FIRST_YEAR) to the current one, grouped by year, quarter, month and
week —, no future year; anything else is refused with a Chinese message next to the field."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assessments.forms import PeriodForm
from assessments.models import EvaluationRun
from assessments.periods import has_begun, parse_period, periods_between
from ledgers.forms import ExportForm

TODAY = datetime.date(2026, 12, 1)  # a Tuesday of 2026-W49


@pytest.fixture(autouse=True)
def fixed_today():
    moment = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


def offered(form) -> list[str]:
    return [value for _group, options in form.fields["period"].choices for value, _ in options]


def test_periods_between_stop_at_today_and_start_at_the_first():
    periods = periods_between(datetime.date(2025, 11, 15), TODAY)
    assert [p.label for p in periods["year"]] == ["2026", "2025"]
    assert [p.label for p in periods["quarter"]][:2] == ["2026-Q4", "2026-Q3"]
    assert periods["quarter"][-1].label == "2025-Q4"
    assert periods["month"][0].label == "2026-12" and periods["month"][-1].label == "2025-11"
    assert periods["week"][0].label == "2026-W49" and periods["week"][-1].label == "2025-W46"
    assert all(has_begun(p, TODAY) for kind in periods.values() for p in kind)
    assert not has_begun(parse_period("2026-W50"), TODAY)


def test_the_picker_offers_evaluated_periods_and_no_future_one(db):
    EvaluationRun.objects.create(period="2024-Q2", status=EvaluationRun.Status.DONE, results=1)
    EvaluationRun.objects.create(period="2023", status=EvaluationRun.Status.FAILED)  # not data
    form = PeriodForm(None, today=TODAY)
    values = offered(form)
    groups = [group for group, _ in form.fields["period"].choices]
    assert groups == ["年度", "季度", "月份", "周"]
    assert [v for v in values if re.fullmatch(r"\d{4}", v)] == ["2026", "2025", "2024"]
    assert "2027" not in values and "2026-W50" not in values and "2023" not in values
    assert "2024-Q1" in values and "2024-01" in values  # the whole first year
    assert values[0] == "2026" and form.chosen() == (parse_period("2026"), None)


def test_configured_start(db, settings):
    settings.ASSESSMENT_FIRST_YEAR = 2021
    values = offered(PeriodForm(None, today=TODAY))
    assert "2021" in values and "2020" not in values


@pytest.mark.parametrize(
    ("text", "shown", "error"),
    [
        ("2026-Q3", "2026-Q3", None),
        ("2026q3", "2026-Q3", None),  # another spelling of an offered period
        ("2026-W49", "2026-W49", None),
        ("2027", "2026", "没有“2027”这个考核期"),
        ("2026-W50", "2026", "不能选择未来的期间"),
        ("2019", "2026", "只能选择已有考核数据的期间"),
        ("2026-13", "2026", "请从列表中选择"),
        ("<b>x</b>", "2026", "请从列表中选择"),
    ],
)
def test_the_form_accepts_only_offered_periods(db, text, shown, error):
    period, message = PeriodForm({"period": text}, today=TODAY).chosen()
    assert period.label == shown
    assert (message is None) if error is None else (error in message)


def test_the_dashboard_shows_the_error_next_to_the_field(world, client):
    client.force_login(world.reviewer)
    response = client.get(reverse("assessments:dashboard") + "?period=2030")
    assert response.status_code == 200
    html = response.content.decode()
    field = html[html.index('<div class="field has-error">') :]
    field = field[: field.index("</div>")]
    assert '<select id="id_period" name="period"' in field
    assert "没有“2030”这个考核期" in field and "已改为显示2026年。" in field
    assert '<option value="2026" selected>' in field
    assert "2027" not in field
    assert "<h1>考核看板 · 测试县 · 2026年</h1>" in html


def test_the_dashboard_takes_a_chosen_period(world, client):
    client.force_login(world.reviewer)
    html = client.get(reverse("assessments:dashboard") + "?period=2026-Q3").content.decode()
    assert '<option value="2026-Q3" selected>' in html
    assert "2026年第3季度" in html and "has-error" not in html


def test_the_dashboard_permission_trio(world, client):
    client.force_login(world.staff_a)
    assert client.get(reverse("assessments:dashboard") + "?period=2026").status_code == 403
    client.force_login(world.reviewer)
    from tests.factories import make_county

    elsewhere = make_county("别的县")
    url = reverse("assessments:dashboard") + f"?period=2026&region={elsewhere.code}"
    assert client.get(url).status_code == 404


def test_ledger_export_offers_no_future_year(world):
    form = ExportForm(user=world.reviewer)
    years = [value for value, _ in form.fields["year"].choices]
    assert years[0] == "2026" and "2027" not in years
    refused = ExportForm(
        {"kind": form.fields["kind"].choices[0][0], "region": world.county.code, "year": "2027"},
        user=world.reviewer,
    )
    assert not refused.is_valid() and "year" in refused.errors


def test_ledger_export_refuses_a_month_not_begun(world):
    with time_machine.travel(
        datetime.datetime(2026, 6, 15, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    ):
        form = ExportForm(
            {
                "kind": ExportForm(user=world.reviewer).fields["kind"].choices[0][0],
                "region": world.county.code,
                "year": "2026",
                "part": "09",
            },
            user=world.reviewer,
        )
        assert not form.is_valid()
        assert form.errors["part"] == ["该期间尚未开始，不能选择未来的期间。"]
