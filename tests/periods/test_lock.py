"""The period lock (issue 16): an approved or expired period refuses every write of a record
dated in it — services, pages, API, import, admin and a direct ORM save — and a reviewer's
reopening (security log) opens it again; the edge day of the automatic lock, both ways."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from accounts.models import SecurityEvent
from pairing.models import Training
from pairing.services import training_delete, training_update
from periods.models import PeriodSetting, PeriodState, ReportingPeriod
from periods.rules import ensure_open, lock_of
from reporting.services import period_approve, period_reopen, period_return, period_submit
from tests.factories import FieldDayFactory, TrainingFactory, VisitFactory
from tests.periods.conftest import at

pytestmark = pytest.mark.django_db
OCT = "2026-10"


def approve_october(world):
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    return period_approve(user=world.reviewer, township_id=world.township_a.pk, label=OCT)


@pytest.fixture
def october(world):
    return TrainingFactory(village=world.village_a, held_on=datetime.date(2026, 10, 15))


@pytest.fixture
def november(world):
    return TrainingFactory(village=world.village_a, held_on=datetime.date(2026, 11, 10))


def test_approval_locks_the_period_with_a_message_naming_it_and_the_approver(world, october):
    training_update(user=world.reviewer, training=october, title="改之前可以")  # open: editable
    approve_october(world)
    with pytest.raises(ValidationError) as refused:
        training_update(user=world.reviewer, training=october, title="改之后")
    message = " ".join(refused.value.messages)
    assert "甲镇2026年10月" in message and "reviewer" in message and "审核通过并锁定" in message
    assert "held_on" in refused.value.message_dict
    october.refresh_from_db()
    assert october.title == "改之前可以"
    with pytest.raises(ValidationError):
        training_delete(user=world.reviewer, training=october)
    assert Training.objects.filter(pk=october.pk).exists()


def test_the_other_township_and_the_open_month_stay_editable(world, october, november):
    approve_october(world)
    training_update(user=world.reviewer, training=november, title="十一月仍可修改")
    other = TrainingFactory(village=world.village_b, held_on=datetime.date(2026, 10, 15))
    training_update(user=world.reviewer, training=other, title="乙镇十月仍可修改")
    assert Training.objects.get(pk=other.pk).title == "乙镇十月仍可修改"


def test_moving_a_date_into_or_out_of_a_locked_period_is_refused(world, october, november):
    approve_october(world)
    with pytest.raises(ValidationError) as into:
        training_update(user=world.reviewer, training=november, held_on=datetime.date(2026, 10, 9))
    assert "2026年10月" in into.value.message_dict["held_on"][0]
    with pytest.raises(ValidationError):
        training_update(user=world.reviewer, training=october, held_on=datetime.date(2026, 11, 9))
    assert Training.objects.get(pk=october.pk).held_on == datetime.date(2026, 10, 15)
    assert Training.objects.get(pk=november.pk).held_on == datetime.date(2026, 11, 10)


def test_a_direct_orm_write_is_refused_by_the_last_guard(world, october):
    approve_october(world)
    before = Training.objects.count()
    october.title = "直接保存"
    writes = [
        lambda: Training.objects.create(
            kind="night_school",
            title="绕过服务",
            village=world.village_a,
            held_on=datetime.date(2026, 10, 3),
        ),
        october.save,
        october.delete,
        lambda: VisitFactory(
            household=world.household_a,
            helper=world.helper_a,
            visited_on=datetime.date(2026, 10, 20),
        ),
        lambda: FieldDayFactory(
            cadre=world.helper_a, region=world.village_a.region, day=datetime.date(2026, 10, 20)
        ),
    ]
    for write in writes:
        # (a savepoint per write: Django's delete runs in the caller's transaction)
        with pytest.raises(ValidationError), transaction.atomic():
            write()
    assert Training.objects.count() == before
    assert Training.objects.get(pk=october.pk).title == "农民夜校"


def test_the_page_refuses_with_the_message_next_to_the_date(world, october, client):
    approve_october(world)
    client.force_login(world.reviewer)
    url = reverse("pairing:training_edit", args=[october.pk])
    response = client.post(
        url,
        {
            "kind": "night_school",
            "title": "页面修改",
            "held_on": "2026-10-15",
            "village": world.village_a.pk,
            "attendance": 20,
            "village_cadres_trained": 0,
        },
    )
    assert response.status_code == 200
    assert "审核通过并锁定" in response.content.decode()
    assert Training.objects.get(pk=october.pk).title == "农民夜校"
    response = client.post(reverse("pairing:training_delete", args=[october.pk]))
    assert response.status_code == 302
    assert Training.objects.filter(pk=october.pk).exists()


def test_the_api_refuses_with_json_and_the_message(world, october, client):
    approve_october(world)
    client.force_login(world.reviewer)
    response = client.patch(
        f"/api/v1/trainings/{october.pk}/", {"title": "接口修改"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "审核通过并锁定" in str(response.json())
    response = client.delete(f"/api/v1/trainings/{october.pk}/")
    assert response.status_code == 400
    assert Training.objects.get(pk=october.pk).title == "农民夜校"


def test_the_admin_refuses_as_a_form_error_and_refuses_deleting(world, october, client):
    approve_october(world)
    client.force_login(world.admin)
    url = reverse("admin:pairing_training_change", args=[october.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "title": "后台修改",
            "held_on": "2026-10-15",
            "village": world.village_a.pk,
            "kind": "night_school",
            "attendance": 20,
            "village_cadres_trained": 0,
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list | tuple)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "审核通过并锁定" in response.content.decode()
    response = client.post(
        reverse("admin:pairing_training_delete", args=[october.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Training.objects.get(pk=october.pk).title == "农民夜校"


def test_reopening_needs_a_reason_is_logged_and_the_township_resubmits(world, october):
    approve_october(world)
    with pytest.raises(ValidationError):
        period_reopen(user=world.reviewer, township_id=world.township_a.pk, label=OCT, reason=" ")
    with pytest.raises(PermissionDenied):
        period_reopen(user=world.staff_a, township_id=world.township_a.pk, label=OCT, reason="x")
    row = period_reopen(
        user=world.reviewer, township_id=world.township_a.pk, label=OCT, reason="补录一次培训"
    )
    assert row.state == PeriodState.REOPENED
    event = SecurityEvent.objects.get(kind="period_reopen")
    assert event.user == world.reviewer and event.detail["reason"] == "补录一次培训"
    assert event.detail["period"] == OCT
    training_update(user=world.reviewer, training=october, title="重新开放后修改")
    assert (
        period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT).state
        == PeriodState.SUBMITTED
    )
    with pytest.raises(ValidationError):
        period_approve(user=world.reviewer, township_id=world.township_a.pk, label="2026-09")


def test_return_needs_a_reason_and_the_township_resubmits(world):
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    with pytest.raises(ValidationError) as blank:
        period_return(user=world.reviewer, township_id=world.township_a.pk, label=OCT, reason="")
    assert "reason" in blank.value.message_dict
    row = period_return(
        user=world.reviewer, township_id=world.township_a.pk, label=OCT, reason="培训数量有误"
    )
    assert row.state == PeriodState.RETURNED
    assert list(row.events.values_list("action", "reason")) == [
        ("submit", ""),
        ("return", "培训数量有误"),
    ]
    assert lock_of(world.village_a, datetime.date(2026, 10, 5)) is None  # returned: open
    assert (
        period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT).state
        == PeriodState.SUBMITTED
    )
    with pytest.raises(ValidationError):  # twice: already submitted
        period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)


def test_the_permission_trio_of_the_workflow(world):
    with pytest.raises(Http404):  # the other township's staff
        period_submit(user=world.staff_b, township_id=world.township_a.pk, label=OCT)
    with pytest.raises(PermissionDenied):  # a reviewer does not submit
        period_submit(user=world.reviewer, township_id=world.township_a.pk, label=OCT)
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    with pytest.raises(PermissionDenied):  # township staff do not approve
        period_approve(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    with pytest.raises(ValidationError):  # December has not ended
        period_submit(user=world.staff_a, township_id=world.township_a.pk, label="2026-12")
    assert ReportingPeriod.objects.get(township=world.township_a).state == PeriodState.SUBMITTED


@pytest.mark.parametrize(
    ("day", "locked"),
    [(datetime.date(2026, 12, 14), False), (datetime.date(2026, 12, 15), True)],
)
def test_the_automatic_lock_at_its_edge_day(world, october, day, locked):
    """October ends 10-31; PERIOD_LOCK_DAYS = 45: editable through 12-14, locked from 12-15."""
    with at(day):
        if locked:
            with pytest.raises(ValidationError) as refused:
                training_update(user=world.reviewer, training=october, title="边界日")
            assert "自动锁定（期末后第45天）" in refused.value.messages[0]
            assert "2026-12-15" in refused.value.messages[0]
        else:
            training_update(user=world.reviewer, training=october, title="边界日")
    assert (Training.objects.get(pk=october.pk).title == "边界日") is not locked


def test_a_county_sets_its_own_expiry_days_and_quarter(world, november):
    PeriodSetting.objects.create(county=world.county, lock_days=1)
    with pytest.raises(ValidationError):  # November ended 11-30, locked from 12-01
        training_update(user=world.reviewer, training=november, title="x")
    setting = PeriodSetting.objects.get(county=world.county)
    setting.granularity, setting.lock_days = "quarter", None
    setting.save()
    training_update(user=world.reviewer, training=november, title="季度未结束")
    assert lock_of(world.village_a, datetime.date(2026, 11, 10)) is None


def test_an_expired_period_reopened_is_open_for_the_reopen_days(world, october, settings):
    with at(datetime.date(2026, 12, 20)):
        assert lock_of(world.village_a, datetime.date(2026, 10, 15)).expired
        period_reopen(
            user=world.reviewer, township_id=world.township_a.pk, label=OCT, reason="逾期补录"
        )
        training_update(user=world.reviewer, training=october, title="补录")
    with at(datetime.date(2026, 12, 27)):  # 12-20 + 7 days: the last open day
        assert lock_of(world.village_a, datetime.date(2026, 10, 15)) is None
    with at(datetime.date(2026, 12, 28)):
        assert lock_of(world.village_a, datetime.date(2026, 10, 15)) is not None


def test_months_before_the_lock_start_are_not_governed(world):
    old = TrainingFactory(village=world.village_a, held_on=datetime.date(2026, 3, 1))
    training_update(user=world.reviewer, training=old, title="三月的记录")
    ensure_open(world.village_a, datetime.date(2026, 9, 30))


def test_the_api_workflow_and_its_permission_trio(world, client):
    base = f"/api/v1/periods/{world.township_a.pk}/{OCT}/"
    client.force_login(world.staff_b)
    assert client.post(base + "submit/").status_code == 404  # the other township
    client.force_login(world.reviewer)
    assert client.post(base + "submit/").status_code == 403  # a reviewer does not submit
    client.force_login(world.staff_a)
    answer = client.post(base + "submit/")
    assert answer.status_code == 200 and answer.json()["state"] == "submitted"
    assert client.post(base + "approve/").status_code == 403
    client.force_login(world.reviewer)
    blank = client.post(base + "return/", {"reason": ""}, content_type="application/json")
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    approved = client.post(base + "approve/")
    assert approved.status_code == 200 and approved.json()["locked"] is True
    assert "reviewer" in approved.json()["lock_message"]
    detail = client.get(base).json()
    assert {line["label"] for line in detail["contents"]} >= {"走访", "培训", "固定党日"}
    status = client.get(f"/api/v1/periods/county/{world.county.pk}/")
    assert status.status_code == 200
    assert {(p["township_name"], p["label"], p["state"]) for p in status.json()} >= {
        ("甲镇", OCT, "approved"),
        ("乙镇", OCT, "open"),
    }
    reopened = client.post(base + "reopen/", {"reason": "更正"}, content_type="application/json")
    assert reopened.status_code == 200 and reopened.json()["state"] == "reopened"


def test_the_roster_import_refuses_a_locked_years_income_all_or_nothing(world):
    """2026's incomes lock with the period containing 31 December: December 2026 expires on
    2027-02-14 (45 days), so on 2027-02-20 an import of 2026 incomes is refused on its row."""
    import io

    from households.models import Household
    from ledgers.importers import COLUMNS, import_roster
    from tests.factories import make_id_number
    from tests.ledgers.conftest import roster_file

    values = {
        "村区划代码": world.village_a.region.code,
        "户主姓名": "王五",
        "户主身份证号": make_id_number(),
        "家庭人口数": 4,
        "联系电话": "13912345678",
        "致贫原因": "因病",
        "帮扶类型": "产业帮扶",
        "重点困难户": "否",
        "年人均纯收入（元）": 5000,
        "脱贫年度": None,
    }
    data = roster_file([[values[name] for name in COLUMNS]])
    before = Household.objects.count()
    with at(datetime.date(2027, 2, 20)):
        check = import_roster(
            io.BytesIO(data), size=len(data), user=world.staff_a, income_year=2026
        )
    assert not check.ok
    assert [(e.row, e.column) for e in check.errors] == [
        (check.errors[0].row, "年人均纯收入（元）")
    ]
    assert "甲镇2026年12月已于2027-02-14自动锁定" in check.errors[0].message
    assert Household.objects.count() == before
    with at(datetime.date(2027, 2, 13)):  # the day before: still open
        check = import_roster(
            io.BytesIO(data), size=len(data), user=world.staff_a, income_year=2026
        )
    assert check.ok and Household.objects.count() == before + 1


def test_every_dated_service_refuses_a_locked_period_with_the_dates_field(world):
    """Visits and days in the field of approved October are refused next to their date; the
    yearly incomes of 2026 lock with December, expired on 2027-02-14 (45 days)."""

    from decimal import Decimal

    from cadres.services import field_day_record
    from households.services import income_record, visit_record
    from villages.services import village_income_record

    approve_october(world)
    with pytest.raises(ValidationError) as visit:
        visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=datetime.date(2026, 10, 20),
            learned="了解情况",
        )
    assert "审核通过并锁定" in visit.value.message_dict["visited_on"][0]
    with pytest.raises(ValidationError) as day:
        field_day_record(
            user=world.staff_a,
            region=world.village_a.region,
            cadre=world.helper_a,
            day=datetime.date(2026, 10, 20),
        )
    assert "day" in day.value.message_dict
    with at(datetime.date(2027, 2, 20)):
        with pytest.raises(ValidationError) as income:
            income_record(
                user=world.staff_a,
                household=world.household_a,
                year=2026,
                per_capita_net_income=Decimal("5000"),
            )
        assert "自动锁定" in income.value.message_dict["year"][0]
        with pytest.raises(ValidationError) as village:
            village_income_record(
                user=world.staff_a, village=world.village_a, year=2026, amount=Decimal("30000")
            )
        assert "year" in village.value.message_dict
        # The other township's October is not approved, but expired too by then.
        with pytest.raises(ValidationError):
            visit_record(
                user=world.staff_b,
                household=world.household_b,
                helper=world.helper_b,
                visited_on=datetime.date(2026, 10, 20),
                learned="了解情况",
            )
