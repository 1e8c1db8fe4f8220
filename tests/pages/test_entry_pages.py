"""Entry forms for trainings, meetings, Party days, study trips, days in the field and village
income: saved through the services, errors in Chinese next to their fields with the input
kept, choices scoped, history viewable on the record."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cadres.models import FieldDay
from pairing.models import Meeting, PartyDay, StudyTrip, Training
from tests.pages.helpers import yesterday
from villages.models import VillageIncome

pytestmark = pytest.mark.django_db


def tomorrow():
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def post(client, name, data):
    return client.post(reverse(name), data)


def test_training_with_attendance(world, client):
    client.force_login(world.staff_a)
    data = {
        "village": world.village_a.pk,
        "kind": "night_school",
        "title": "农民夜校：果树修剪",
        "held_on": yesterday().isoformat(),
        "unit": world.unit.pk,
        "audience": "种植户",
        "lecturer": "王技术员",
        "attendance": "35",
        "village_cadres_trained": "4",
        "content": "",
    }
    response = post(client, "pairing:training_create", data)
    training = Training.objects.get()
    assert response.url == reverse("pairing:training_detail", args=[training.pk])
    assert training.attendance == 35 and training.created_by == world.staff_a
    detail = client.get(response.url).content.decode()
    assert "果树修剪" in detail and "修改记录" in detail and "新增" in detail


def test_training_errors_are_chinese_and_keep_input(world, client):
    client.force_login(world.staff_a)
    data = {
        "village": world.village_a.pk,
        "kind": "night_school",
        "title": "农民夜校：果树修剪",
        "held_on": tomorrow(),
        "attendance": "3",
        "village_cadres_trained": "9",
    }
    response = post(client, "pairing:training_create", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["held_on"] == ["日期不能晚于今天。"]
    assert errors["village_cadres_trained"] == ["其中村干部人数不能多于参训人数。"]
    body = response.content.decode()
    assert "农民夜校：果树修剪" in body and 'value="9"' in body
    assert not Training.objects.exists()


def test_required_fields_and_bad_numbers(world, client):
    client.force_login(world.staff_a)
    response = post(client, "pairing:training_create", {"attendance": "很多"})
    errors = response.context["form"].errors
    assert {"village", "kind", "title", "held_on", "attendance"} <= set(errors)
    assert "该字段是必填项。" in errors["title"]
    assert "整数" in errors["attendance"][0]


def test_village_choices_are_scoped(world, client):
    client.force_login(world.staff_a)
    form = client.get(reverse("pairing:training_create")).context["form"]
    assert list(form.fields["village"].queryset) == [world.village_a]
    response = post(
        client,
        "pairing:training_create",
        {
            "village": world.village_b.pk,
            "kind": "night_school",
            "title": "越界",
            "held_on": yesterday().isoformat(),
            "attendance": "1",
            "village_cadres_trained": "0",
        },
    )
    assert "village" in response.context["form"].errors
    assert not Training.objects.exists()


def test_village_preselected_from_the_village_page(world, client):
    client.force_login(world.staff_a)
    url = reverse("pairing:party_day_create") + f"?village={world.village_a.pk}"
    assert client.get(url).context["form"].initial["village"] == world.village_a.pk


def test_meeting_party_day_study_trip(world, client):
    client.force_login(world.staff_a)
    day = yesterday().isoformat()
    post(
        client,
        "pairing:meeting_create",
        {
            "village": world.village_a.pk,
            "kind": "special",
            "title": "专题研究帮扶工作",
            "held_on": day,
            "unit": world.unit.pk,
            "leader_level": "principal",
            "attendance": "12",
        },
    )
    post(
        client,
        "pairing:party_day_create",
        {"village": world.village_a.pk, "held_on": day, "theme": "学习", "attendance": "20"},
    )
    again = post(
        client,
        "pairing:party_day_create",
        {"village": world.village_a.pk, "held_on": day, "theme": "重复", "attendance": "20"},
    )
    assert again.context["form"].errors["held_on"] == ["该村这一天已登记过固定党日。"]
    post(
        client,
        "pairing:study_trip_create",
        {
            "village": world.village_a.pk,
            "unit": world.unit.pk,
            "started_on": day,
            "days": "3",
            "destination": "浙江安吉余村",
            "participants": "15",
        },
    )
    assert Meeting.objects.count() == PartyDay.objects.count() == StudyTrip.objects.count() == 1


def test_field_days_for_a_cadre_and_by_staff(world, client):
    client.force_login(world.cadre_user)
    form = client.get(reverse("cadres:field_day_create")).context["form"]
    assert "cadre" not in form.fields
    response = post(
        client,
        "cadres:field_day_create",
        {"region": world.village_a.region.pk, "day": yesterday().isoformat(), "note": "入户"},
    )
    assert response.status_code == 302
    assert FieldDay.objects.get().cadre == world.helper_a
    again = post(
        client,
        "cadres:field_day_create",
        {"region": world.village_a.region.pk, "day": yesterday().isoformat()},
    )
    assert again.context["form"].errors["day"] == ["该干部这一天已登记过在岗天数。"]

    client.force_login(world.staff_a)
    form = client.get(reverse("cadres:field_day_create")).context["form"]
    regions = set(form.fields["region"].queryset)
    assert world.village_a.region in regions and world.township_a in regions
    assert world.village_b.region not in regions


def test_village_income_once_a_year_then_edit(world, client):
    client.force_login(world.staff_a)
    year = timezone.localdate().year
    data = {"village": world.village_a.pk, "year": str(year), "amount": "18500.50", "sources": ""}
    response = post(client, "villages:income_create", data)
    income = VillageIncome.objects.get()
    assert response.url == reverse("villages:income_detail", args=[income.pk])
    again = post(client, "villages:income_create", data)
    assert "已填报" in again.context["form"].errors["year"][0]
    negative = post(client, "villages:income_create", {**data, "year": year - 1, "amount": "-1"})
    assert "amount" in negative.context["form"].errors
    edit = reverse("villages:income_edit", args=[income.pk])
    assert "village" not in client.get(edit).context["form"].fields
    client.post(edit, {"year": str(year), "amount": "21000", "sources": "光伏电站"})
    income.refresh_from_db()
    assert str(income.amount) == "21000.00"
    detail = client.get(reverse("villages:income_detail", args=[income.pk])).content.decode()
    assert "18500.50" in detail and "21000.00" in detail  # old → new in the history


def test_delete_entry_within_window(world, client):
    client.force_login(world.staff_a)
    post(
        client,
        "pairing:party_day_create",
        {"village": world.village_a.pk, "held_on": yesterday().isoformat(), "theme": "学习"},
    )
    party_day = PartyDay.objects.get()
    url = reverse("pairing:party_day_delete", args=[party_day.pk])
    assert "确认删除" in client.get(url).content.decode()
    response = client.post(url)
    assert response.url == reverse("pairing:activities") + "?kind=party_day"
    assert not PartyDay.objects.exists()


def test_household_history_masks_id_and_phone(world, client):
    household = world.household_a
    old_number = household.head_id_number
    from tests.factories import make_id_number

    household.head_id_number = make_id_number()
    household.phone = "13700001111"
    household.save()
    client.force_login(world.staff_a)
    body = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert "修改记录" in body and "户主身份证号" in body
    assert old_number not in body and household.head_id_number not in body
    assert old_number[:6] + "********" + old_number[-4:] in body
    assert "13700001111" not in body and "137****1111" in body
