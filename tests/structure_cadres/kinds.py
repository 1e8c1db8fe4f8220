"""One table of every kind of record the cadre pages and endpoints keep: who keeps it, who reads
it in scope without keeping it, who is outside its scope, one record of it (side A of the
world), a valid new one and a valid change, for the pages (form fields) and the API (JSON).
The permission trio of tests/structure_cadres/test_pages.py and test_api.py runs over it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cadres.models import (
    Cadre,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)


@dataclass
class Kind:
    name: str  # the pages' name (cadres:<name>_…)
    path: str  # the API's prefix
    model: type
    keeper: str  # attribute of world or people
    reader: str  # reads side A, keeps nothing of the kind
    outsider: str  # cannot see side A
    record: Callable  # (world, people) -> the side-A record
    create: Callable  # (world, people) -> page form data
    change: dict  # page form field -> new value (also the API PATCH body)
    check: Callable  # (obj) -> the changed value
    expected: object  # what check gives after the change
    api_create: Callable | None = None  # (world, people) -> JSON body (default: create)
    api_change: dict = field(default_factory=dict)


def who(world, people, name):
    return getattr(world, name, None) or getattr(people, name)


KINDS = [
    Kind(
        "cadre",
        "cadres",
        Cadre,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.secretary,
        create=lambda w, p: {
            "name": "新驻村干部",
            "kind": "stationed",
            "unit": w.unit.pk,
            "home_region": w.village_a.region_id,
            "phone": "13500001111",
        },
        change={"position": "第一书记（新）"},
        check=lambda o: o.position,
        expected="第一书记（新）",
        api_create=lambda w, p: {
            "name": "新驻村干部",
            "kind": "stationed",
            "unit": w.unit.pk,
            "home_region": w.village_a.region_id,
        },
    ),
    Kind(
        "helper",
        "cadres",
        Cadre,
        keeper="coordinator",
        reader="staff_a",
        outsider="staff_b",
        record=lambda w, p: w.helper_a,
        create=lambda w, p: {"name": "新帮扶人", "phone": "13800000001", "is_party_member": "on"},
        change={"position": "科长"},
        check=lambda o: o.position,
        expected="科长",
        api_create=lambda w, p: {"name": "新帮扶人", "kind": "helper", "phone": "13800000001"},
    ),
    Kind(
        "term",
        "terms",
        Term,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.term,
        create=lambda w, p: {
            "cadre": p.a.stationed.pk,
            "village": w.village_a.pk,
            "role": "stationed",
            "start_date": "2025-01-01",
            "end_date": "2026-12-31",
        },
        change={"end_date": "2027-06-30"},
        check=lambda o: o.end_date.isoformat(),
        expected="2027-06-30",
    ),
    Kind(
        "work_team",
        "work-teams",
        WorkTeam,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.team,
        create=lambda w, p: {
            "name": "新工作队",
            "villages": [w.village_a.pk],
            "start_date": "2025-01-01",
        },
        change={"name": "甲村工作队（改）"},
        check=lambda o: o.name,
        expected="甲村工作队（改）",
    ),
    Kind(
        "team_member",
        "work-team-members",
        WorkTeamMember,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.member,
        create=lambda w, p: {"team": p.a.team.pk, "cadre": p.a.secretary.pk, "role": "member"},
        change={"role": "leader"},
        check=lambda o: o.role,
        expected="leader",
    ),
    Kind(
        "grade",
        "yearly-grades",
        YearlyGrade,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.grade,
        create=lambda w, p: {"cadre": p.a.stationed.pk, "year": 2025, "grade": "excellent"},
        change={"grade": "excellent"},
        check=lambda o: o.grade,
        expected="excellent",
    ),
    Kind(
        "fund",
        "working-funds",
        WorkingFund,
        keeper="reviewer",
        reader="staff_a",
        outsider="far_reviewer",
        record=lambda w, p: p.a.fund,
        create=lambda w, p: {"cadre": p.a.secretary.pk, "year": 2025, "amount": "10000"},
        change={"source": "派出单位"},
        check=lambda o: o.source,
        expected="派出单位",
    ),
    Kind(
        "liaison",
        "liaisons",
        Liaison,
        keeper="staff_a",
        reader="coordinator",
        outsider="staff_b",
        record=lambda w, p: p.a.liaison,
        create=lambda w, p: {
            "village": w.village_a.pk,
            "role": "cadre",
            "cadre": p.a.secretary.pk,
        },
        change={"name": "王村联"},
        check=lambda o: o.name,
        expected="王村联",
    ),
    Kind(
        "reserve",
        "reserve-cadres",
        ReserveCadre,
        keeper="staff_a",
        reader="coordinator",
        outsider="staff_b",
        record=lambda w, p: p.a.reserve,
        create=lambda w, p: {"village": w.village_a.pk, "name": "新后备", "added_on": "2026-01-01"},
        change={"education": "大专"},
        check=lambda o: o.education,
        expected="大专",
    ),
    Kind(
        "talent",
        "talent-assignments",
        TalentAssignment,
        keeper="staff_a",
        reader="coordinator",
        outsider="staff_b",
        record=lambda w, p: p.a.talent,
        create=lambda w, p: {
            "village": w.village_a.pk,
            "name": "新人才",
            "specialty": "畜牧",
            "start_date": "2026-01-01",
        },
        change={"specialty": "果树"},
        check=lambda o: o.specialty,
        expected="果树",
    ),
]


def kind_id(kind: Kind) -> str:
    return kind.name
