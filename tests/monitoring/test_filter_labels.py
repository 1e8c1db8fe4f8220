"""An open list filter says what it filters ("乡镇：全部", core.forms.LabelledFilterSet), never
Django's "---------"."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["monitoring:clue_list", "monitoring:case_list", "monitoring:notice_list"],
)
def test_open_filters_say_all(client, world, name):
    client.force_login(world.staff_a)
    page = client.get(reverse(name)).content.decode()
    assert "---------" not in page
    assert "：全部<" in page and ">全部<" not in page
