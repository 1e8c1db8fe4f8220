"""The period picker at 360 px in Chromium: a grouped select of the periods that exist (no
future year), choosing a quarter shows it; a period typed into the address is refused with a
Chinese message next to the field and the current year is shown."""

import pytest

from assessments.models import EvaluationRun
from tests.phone.conftest import overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_period_picker_at_360(world, live_server, phone_page, browser_login, shot):
    from django.utils import timezone

    this_year = timezone.localdate().year
    EvaluationRun.objects.create(
        period=str(this_year - 1), status=EvaluationRun.Status.DONE, results=1
    )
    page = phone_page
    browser_login(page, world.reviewer)
    page.goto(f"{live_server.url}/assessments/")
    picker = page.locator("select#id_period")
    groups = picker.locator("optgroup").evaluate_all("(gs) => gs.map((g) => g.label)")
    assert groups == ["年度", "季度", "月份", "周"]
    years = picker.locator("optgroup[label='年度'] option").evaluate_all(
        "(os) => os.map((o) => o.value)"
    )
    assert years == [str(this_year), str(this_year - 1)]  # no future year
    assert picker.input_value() == str(this_year)
    assert overflow(page) == 0
    shot(page, "period-picker")

    quarter = f"{this_year - 1}-Q3"
    picker.select_option(quarter)
    page.click("form.period-form button[type=submit]")
    page.wait_for_url(f"**period={quarter}**")
    assert page.locator("select#id_period").input_value() == quarter
    assert f"{this_year - 1}年第3季度" in page.locator("h1").inner_text()
    shot(page, "period-picker-quarter")

    page.goto(f"{live_server.url}/assessments/?period={this_year + 1}")
    error = page.locator(".period-form .field.has-error .errorlist")
    assert error.is_visible()
    text = error.inner_text()
    assert f"没有“{this_year + 1}”这个考核期" in text and "不能选择未来的期间" in text
    assert f"已改为显示{this_year}年。" in text
    assert page.locator("select#id_period").input_value() == str(this_year)
    # The message sits right under the field it is about.
    field_box = page.locator("select#id_period").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 80
    assert overflow(page) == 0
    shot(page, "period-picker-error")
