"""Done when: on the demo, a person registered in two households is found and merged."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import User
from demo.builder import DemoBuilder
from households import duplicates, merge
from households.models import Household, Member

pytestmark = pytest.mark.django_db


def test_the_demo_person_registered_twice_is_found_and_merged():
    # The demo's data as seed_demo builds it (seed_demo then evaluates and runs reminders).
    DemoBuilder(scale="small", seed=7, today=datetime.date(2026, 12, 1), log=lambda m: None).build()
    reviewer = User.objects.get(username="reviewer")
    found = duplicates.findings(reviewer, [duplicates.ID_NUMBER])
    assert len(found) == 1
    first, second = (Household.objects.get(pk=pk) for pk in (found[0].first, found[0].second))
    assert first.township_id != second.township_id
    # the household whose head the person is merges into the one that lists them as a child
    other = next(
        h
        for h in (first, second)
        if Member.objects.filter(household=h, relation="head", id_number=h.head_id_number).exists()
        and Member.objects.filter(id_number=h.head_id_number).exclude(household=h).exists()
    )
    kept = second if other == first else first
    merge.merge_households(reviewer, kept, other, "入户核实为同一人")
    assert Household.objects.get(pk=other.pk).merged_into_id == kept.pk
    assert duplicates.findings(reviewer, [duplicates.ID_NUMBER]) == []
    township1 = User.objects.get(username="township1")
    assert duplicates.findings(township1, [duplicates.ID_NUMBER]) == []
