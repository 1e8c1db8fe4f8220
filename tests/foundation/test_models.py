import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.idcard import mask_id_number, normalise_id_number, validate_id_number
from households.models import HouseholdPairing
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    VillageFactory,
    VillageIncomeFactory,
    make_county,
    make_id_number,
    make_township,
)
from villages.models import Region, RegionLevel, Village

pytestmark = pytest.mark.django_db


class TestIdNumbers:
    def test_valid_number_passes_and_is_normalised(self):
        number = make_id_number()
        assert validate_id_number(number) == number

    def test_lowercase_x_and_full_width_digits_are_accepted(self):
        assert validate_id_number("11010519491231002x") == "11010519491231002X"
        assert normalise_id_number(" １１０１０５１９４９１２３１００２Ｘ ") == "11010519491231002X"

    def test_wrong_check_digit_is_refused_in_chinese(self):
        number = make_id_number()
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        with pytest.raises(ValidationError) as info:
            validate_id_number(wrong)
        assert "校验位" in info.value.messages[0]

    def test_legacy_fifteen_digit_number_gets_its_own_message(self):
        with pytest.raises(ValidationError) as info:
            validate_id_number("110105491231002")
        assert info.value.code == "legacy_id"
        assert "15位" in info.value.messages[0]

    @pytest.mark.parametrize("value", ["12345", "51082119800101001", "5108211980010100AB"])
    def test_malformed_numbers_are_refused(self, value):
        with pytest.raises(ValidationError):
            validate_id_number(value)

    def test_mask_shows_first_six_and_last_four(self):
        assert mask_id_number("11010519491231002X") == "110105********002X"

    def test_household_full_clean_reports_the_field(self):
        household = HouseholdFactory.build(
            village=VillageFactory(), head_id_number="110105491231002"
        )
        with pytest.raises(ValidationError) as info:
            household.full_clean()
        assert "head_id_number" in info.value.message_dict

    def test_id_numbers_are_unique(self):
        number = make_id_number()
        HouseholdFactory(head_id_number=number)
        with pytest.raises(IntegrityError), transaction.atomic():
            HouseholdFactory(head_id_number=number)


class TestRegionTree:
    def test_path_and_subtree(self):
        county = make_county()
        t1, t2 = make_township(county), make_township(county)
        v1 = VillageFactory(township=t1)
        VillageFactory(township=t2)
        subtree = Region.objects.subtree(t1)
        assert set(subtree.values_list("id", flat=True)) == {t1.id, v1.region_id}
        assert Region.objects.subtree(county).count() == 5
        assert v1.region.path.startswith(county.path)

    def test_village_keeps_township_and_county_columns(self):
        county = make_county()
        township = make_township(county)
        village = VillageFactory(township=township)
        assert village.township == township
        assert village.county == county
        assert village.path == village.region.path

    def test_ancestors_come_from_root_down(self):
        village = VillageFactory()
        levels = [r.level for r in village.region.ancestors()]
        assert levels == [
            RegionLevel.PROVINCE,
            RegionLevel.PREFECTURE,
            RegionLevel.COUNTY,
            RegionLevel.TOWNSHIP,
            RegionLevel.VILLAGE,
        ]

    def test_household_copies_path_and_pinyin_initials(self):
        household = HouseholdFactory(head_name="张三丰")
        assert household.name_initials == "zsf"
        assert household.path == household.village.path
        assert household.township_id == household.village.township_id


class TestConstraints:
    def test_one_collective_income_per_village_and_year(self):
        income = VillageIncomeFactory(year=2026)
        with pytest.raises(IntegrityError), transaction.atomic():
            VillageIncomeFactory(village=income.village, year=2026)
        VillageIncomeFactory(village=income.village, year=2025)

    def test_collective_income_cannot_be_negative(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            VillageIncomeFactory(amount=Decimal("-1"))

    def test_household_size_at_least_one(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            HouseholdFactory(size=0)

    def test_pairing_cannot_end_before_it_starts(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            HouseholdPairingFactory(
                start_date=datetime.date(2026, 5, 1), end_date=datetime.date(2026, 4, 1)
            )

    def test_pairing_in_force_is_a_query(self):
        early = HouseholdPairingFactory(
            start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2026, 6, 30)
        )
        late = HouseholdPairingFactory(
            household=early.household, start_date=datetime.date(2026, 7, 1)
        )
        in_june = HouseholdPairing.objects.in_force(datetime.date(2026, 6, 30))
        in_july = HouseholdPairing.objects.in_force(datetime.date(2026, 7, 1))
        assert list(in_june) == [early]
        assert list(in_july) == [late]

    def test_village_exit_year_must_be_plausible(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            VillageFactory(exit_year=1990)

    def test_village_requires_region_of_its_own(self):
        village = VillageFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            Village.objects.create(region=village.region, name="重复")
