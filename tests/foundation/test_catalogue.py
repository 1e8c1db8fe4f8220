import pytest

from assessments.catalogue import CATALOGUE
from assessments.models import Indicator

pytestmark = pytest.mark.django_db


def test_every_catalogue_indicator_ships_as_data():
    codes = set(Indicator.objects.values_list("code", flat=True))
    assert codes == {row[0] for row in CATALOGUE}
    assert len(codes) == 27  # 23 of the source documents, 4 of monitoring against relapse


def test_catalogue_thresholds_match_the_sources():
    by_code = {i.code: i for i in Indicator.objects.all()}
    assert by_code["HH-VISIT-YEAR"].threshold == 4
    assert by_code["HH-VISIT-YEAR"].period_kind == "year"
    assert by_code["VILLAGE-COLLECTIVE-INCOME"].threshold == 20000
    assert by_code["SPOT-CHECK-RATE"].period_kind == "quarter"
    assert by_code["TOWNSHIP-LEADER-DAYS"].threshold == 8
