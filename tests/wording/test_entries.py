"""Entry errors a person understands (issue 15): an empty 参训人数 is a field error on the page
and in the API, never a silent 0; a second income for a year links to the record to correct
(page) and names it (API) — for a household's income and a village's collective income."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.models import IncomeRecord
from households.services import income_record
from pairing.models import Training, TrainingKind
from pairing.services import training_record, training_update
from tests.factories import TrainingFactory, VillageIncomeFactory
from villages.models import VillageIncome
from villages.services import village_income_record

pytestmark = pytest.mark.django_db

TRAINING = {"kind": TrainingKind.NIGHT_SCHOOL, "title": "春耕技术培训", "held_on": "2026-03-01"}


class TestAttendance:
    def test_service_refuses_an_empty_count(self, world):
        with pytest.raises(ValidationError) as info:
            training_record(
                user=world.staff_a,
                village=world.village_a,
                kind=TrainingKind.NIGHT_SCHOOL,
                title="夜校",
                held_on=datetime.date(2026, 3, 1),
            )
        assert info.value.message_dict["attendance"] == ["请填写参训人数"]
        assert not Training.objects.exists()

    def test_update_to_empty_is_refused(self, world):
        training = TrainingFactory(village=world.village_a, created_by=world.staff_a)
        with pytest.raises(ValidationError) as info:
            training_update(user=world.staff_a, training=training, attendance=None)
        assert info.value.message_dict["attendance"] == ["请填写参训人数"]
        training.refresh_from_db()
        assert training.attendance == 20

    def test_page_shows_the_field_error_and_keeps_the_data(self, world, client):
        client.force_login(world.staff_a)
        form = client.get(reverse("pairing:training_create")).content.decode()
        assert 'name="attendance" value="0"' not in form
        response = client.post(
            reverse("pairing:training_create"),
            {**TRAINING, "village": world.village_a.pk, "attendance": ""},
        )
        page = response.content.decode()
        assert response.status_code in (200, 400)
        assert "请填写参训人数" in page and "春耕技术培训" in page
        assert not Training.objects.exists()
        response = client.post(
            reverse("pairing:training_create"),
            {**TRAINING, "village": world.village_a.pk, "attendance": "35"},
        )
        assert response.status_code == 302
        assert Training.objects.get().attendance == 35

    def test_api_missing_count_is_a_field_error(self, world, client):
        client.force_login(world.staff_a)
        body = {**TRAINING, "village": world.village_a.pk}
        response = client.post("/api/v1/trainings/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["errors"]["attendance"] == ["请填写参训人数"]
        assert not Training.objects.exists()
        body["attendance"] = 12
        response = client.post("/api/v1/trainings/", body, content_type="application/json")
        assert response.status_code == 201 and response.json()["attendance"] == 12


@pytest.fixture
def income(world):
    return IncomeRecord.objects.create(
        household=world.household_a, year=2025, per_capita_net_income=Decimal("5200")
    )


class TestHouseholdIncome:
    def test_page_links_to_the_existing_record(self, world, income, client):
        client.force_login(world.staff_a)
        response = client.post(
            reverse("households:income_create", args=[world.household_a.pk]),
            {"year": 2025, "per_capita_net_income": "6000"},
        )
        page = response.content.decode()
        edit = reverse("households:income_edit", args=[income.pk])
        assert (
            f'该户 2025 年已有收入记录（年人均纯收入 5200.00 元），<a href="{edit}">去修改</a>'
            in page
        )
        assert 'value="6000"' in page  # the typed figure is kept
        assert IncomeRecord.objects.count() == 1

    def test_editing_into_a_taken_year_links_too(self, world, income, client):
        other = IncomeRecord.objects.create(
            household=world.household_a, year=2024, per_capita_net_income=Decimal("4800")
        )
        client.force_login(world.staff_a)
        response = client.post(
            reverse("households:income_edit", args=[other.pk]),
            {"year": 2025, "per_capita_net_income": "4800"},
        )
        assert reverse("households:income_edit", args=[income.pk]) in response.content.decode()
        other.refresh_from_db()
        assert other.year == 2024

    def test_api_names_the_existing_record(self, world, income, client):
        client.force_login(world.staff_a)
        body = {"household": world.household_a.pk, "year": 2025, "per_capita_net_income": "6000"}
        response = client.post("/api/v1/household-incomes/", body, content_type="application/json")
        assert response.status_code == 409
        (message,) = response.json()["errors"]["year"]
        assert f"编号 {income.pk}" in message
        assert f"/api/v1/household-incomes/{income.pk}/" in message
        assert "<a" not in message

    def test_service_error_carries_the_record(self, world, income):
        with pytest.raises(ValidationError) as info:
            income_record(
                user=world.staff_a,
                household=world.household_a,
                year=2025,
                per_capita_net_income=Decimal("1"),
            )
        (error,) = info.value.error_dict["year"]
        assert error.code == "exists" and error.params["id"] == income.pk

    def test_other_township_household_is_404(self, world, client):
        client.force_login(world.staff_a)
        response = client.post(
            reverse("households:income_create", args=[world.household_b.pk]),
            {"year": 2025, "per_capita_net_income": "6000"},
        )
        assert response.status_code == 404
        assert not IncomeRecord.objects.exists()


class TestVillageIncome:
    @pytest.fixture
    def existing(self, world):
        return VillageIncomeFactory(village=world.village_a, year=2025, amount=Decimal("50000"))

    def test_page_links_to_the_existing_record(self, world, existing, client):
        client.force_login(world.staff_a)
        response = client.post(
            reverse("villages:income_create"),
            {"village": world.village_a.pk, "year": 2025, "amount": "60000", "sources": "光伏"},
        )
        page = response.content.decode()
        edit = reverse("villages:income_edit", args=[existing.pk])
        assert (
            f'甲村 2025 年的集体经济收入已填报（50000.00 元），<a href="{edit}">去修改</a>' in page
        )
        assert VillageIncome.objects.count() == 1

    def test_api_names_the_existing_record(self, world, existing, client):
        client.force_login(world.staff_a)
        body = {"village": world.village_a.pk, "year": 2025, "amount": "60000"}
        response = client.post("/api/v1/village-incomes/", body, content_type="application/json")
        assert response.status_code in (400, 409)
        message = " ".join(response.json()["errors"]["year"])
        assert f"编号 {existing.pk}" in message
        assert f"/api/v1/village-incomes/{existing.pk}/" in message

    def test_service(self, world, existing):
        with pytest.raises(ValidationError) as info:
            village_income_record(
                user=world.staff_a, village=world.village_a, year=2025, amount=Decimal("1")
            )
        (error,) = info.value.error_dict["year"]
        assert error.params["edit_url"] == reverse("villages:income_edit", args=[existing.pk])
