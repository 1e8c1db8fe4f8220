"""The cross-township walk: every URL the project defines (pages, API, admin, downloads) is
requested by the staff of township B with the primary keys and codes of township A's records,
by GET and by every writing method. Nothing of township A may come back (household names, ID
and phone numbers, village and township names, photos, workbooks), and nothing of A may change.

Township A is seed_demo's first township (user `township1`), B its second (`township2`); A's
names are replaced by markers that appear nowhere else, so a leak cannot hide behind a common
surname. New URLs are walked automatically: parameters are filled from the URL's own words
(`households/<pk>` → A's households) or, failing that, from every kind of A record.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role, User
from core.scope import ScopedQuerySet
from households.models import Household, Member, Visit
from villages.models import Region, RegionLevel, Village

pytestmark = pytest.mark.django_db

# The last literal word before a parameter names the kind of record the parameter is.
WORD_MODELS = {
    "villages": "villages.Village",
    "income": "villages.VillageIncome",
    "village-incomes": "villages.VillageIncome",
    "regions": "villages.Region",
    "households": "households.Household",
    "visits": "households.Visit",
    "photos": "households.VisitPhoto",
    "household-pairings": "households.HouseholdPairing",
    "trainings": "pairing.Training",
    "meetings": "pairing.Meeting",
    "party-days": "pairing.PartyDay",
    "study-trips": "pairing.StudyTrip",
    "pairings": "pairing.Pairing",
    "field-days": "cadres.FieldDay",
    "cadres": "cadres.Cadre",
    "work-teams": "cadres.WorkTeam",
    "results": "assessments.IndicatorResult",
    "indicator-results": "assessments.IndicatorResult",
    "draws": "inspections.SpotCheckDraw",
    "spot-check-draws": "inspections.SpotCheckDraw",
    "items": "inspections.SpotCheckItem",
    "spot-check-items": "inspections.SpotCheckItem",
    "inspections": "inspections.Inspection",
    "rectifications": "inspections.RectificationItem",
    "evidence": "inspections.RectificationEvidence",
    "notifications": "notifications.Notification",
    "jobs": "ledgers.ExportJob",
    "export-jobs": "ledgers.ExportJob",
    "import": "ledgers.RosterImport",
}
# Records that belong to a person rather than a region: A's are those of A's staff.
OWNED = {
    "notifications.Notification": "recipient",
    "ledgers.ExportJob": "user",
    "ledgers.RosterImport": "user",
}
PROJECT_APPS = {
    "accounts",
    "villages",
    "pairing",
    "households",
    "cadres",
    "assessments",
    "inspections",
    "notifications",
    "ledgers",
}
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
LOGOUTS = {"accounts:logout", "admin:logout"}
OK_STATUSES = {301, 302, 303, 400, 403, 404, 405, 409, 422}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def townships(settings, tmp_path):
    """seed_demo's county, township A's records renamed to markers, plus the records seed_demo
    does not make: a photo, a spot-check draw with an inspection, a rectification with evidence,
    a notification, an export job with its workbook and a roster import."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", scale="small", seed=11, stdout=io.StringIO())
    staff_a = User.objects.get(username="township1")
    staff_b = User.objects.get(username="township2")
    reviewer = User.objects.get(username="reviewer")
    a, b = staff_a.region, staff_b.region
    assert a.pk != b.pk and not b.path.startswith(a.path)

    a_villages = Village.objects.filter(township=a)
    Region.objects.filter(pk=a.pk).update(name="甲镇标记")
    Region.objects.filter(village__in=a_villages).update(
        name=Concat(Value("甲村标记"), Cast("id", CharField()))
    )
    a_villages.update(name=Concat(Value("甲村标记"), Cast("id", CharField())))
    Household.objects.filter(township=a).update(
        head_name=Concat(Value("甲户标记"), Cast("id", CharField()))
    )
    Member.objects.filter(household__township=a).update(
        name=Concat(Value("甲成员标记"), Cast("id", CharField()))
    )
    staff_a.refresh_from_db()

    from households.services import visit_record

    household = Household.objects.filter(township=a).order_by("id").first()
    visit = visit_record(
        user=staff_a,
        household=household,
        visited_on=timezone.localdate() - datetime.timedelta(days=1),
        learned="甲走访标记：了解家庭收入情况。",
        photos=[SimpleUploadedFile("a.png", _png(), content_type="image/png")],
    )
    assert visit.photos.exists()

    from inspections.services import (
        inspection_record,
        quarter_of,
        rectification_create,
        rectification_evidence_add,
        spot_check_draw,
    )

    county = a.parent
    draw = spot_check_draw(
        region=county,
        quarter=quarter_of(timezone.localdate()),
        drawn_by=reviewer,
        share="1",
        households_per_village=1,
        seed=3,
    )
    item = draw.items.filter(village__township=a).first()
    inspection = inspection_record(
        item=item,
        inspector=reviewer,
        inspected_on=timezone.localdate(),
        findings="甲督查标记：走访记录不全。",
    )
    rectification = rectification_create(
        created_by=reviewer,
        village=item.village,
        problem="甲整改标记：走访记录不全。",
        task="补齐走访记录。",
        deadline=timezone.localdate() + datetime.timedelta(days=30),
        inspection=inspection,
        responsible_person=staff_a,
    )
    rectification_evidence_add(
        item=rectification,
        user=reviewer,
        upload=SimpleUploadedFile("evidence.png", _png(), content_type="image/png"),
        note="甲佐证标记",
    )

    from notifications.models import Notification, NotificationKind

    Notification.objects.create(
        recipient=staff_a,
        kind=NotificationKind.WEEKLY_VISIT,
        subject_key=f"household:{household.pk}",
        period="2026-W47",
        title=f"{household.head_name} 本周未走访",
        body=f"{household.head_name}（{household.head_id_number}）本周尚未走访。",
        link=reverse("households:detail", args=[household.pk]),
    )

    from ledgers.models import LedgerKind, RosterImport
    from ledgers.periods import parse_period
    from ledgers.services import export_job_create, export_job_run

    job = export_job_create(
        user=staff_a,
        kind=LedgerKind.PAIRING,
        region=a,
        period=parse_period(str(timezone.localdate().year)),
        mask_ids=True,
        total_rows=10,
    )
    export_job_run(job_id=job.pk)
    RosterImport.objects.create(
        user=staff_a,
        original_name="甲名单标记.xlsx",
        sha256="0" * 64,
        income_year=2026,
        status=RosterImport.Status.INVALID,
        errors=[{"row": 2, "message": f"甲户标记 {household.head_id_number} 重复"}],
    )

    # A reviewer whose region is township B: reviewers reach dashboards, draws and exports that
    # township staff do not. Both are marked is_staff, as if by mistake: the admin is for
    # administrators only (its forms list every region), so both must be kept out of it.
    reviewer_b = User.objects.create(
        username="reviewer_b", role=Role.REVIEWER, region=b, is_staff=True, last_name="乙镇审核"
    )
    User.objects.filter(pk=staff_b.pk).update(is_staff=True)
    staff_b.refresh_from_db()
    return {"a": a, "b": b, "staff_a": staff_a, "staff_b": staff_b, "reviewer_b": reviewer_b}


def _a_records(staff_a, staff_b) -> dict[str, list[int]]:
    """Primary keys of A's records, per model: what A's staff see and B's staff do not."""
    records = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in OWNED:
            pks = model.objects.filter(**{OWNED[label]: staff_a}).values_list("pk", flat=True)
        elif isinstance(model.objects.all(), ScopedQuerySet):
            pks = (
                model.objects.visible_to(staff_a)
                .exclude(pk__in=model.objects.visible_to(staff_b).values("pk"))
                .values_list("pk", flat=True)
            )
        else:
            continue
        pks = sorted(pks)
        if pks:
            # The first, a middle and the last: enough to cross every kind of record.
            records[label] = sorted({pks[0], pks[len(pks) // 2], pks[-1]})
    # Records without a scope of their own (evidence of a rectification item, …) are A's when
    # their parent is.
    for model in apps.get_models():
        label = model._meta.label
        if label in records or model._meta.app_label not in PROJECT_APPS:
            continue
        for fk in model._meta.get_fields():
            parent = getattr(fk, "related_model", None)
            if fk.many_to_one and parent is not None and parent._meta.label in records:
                pks = sorted(
                    model.objects.filter(
                        **{f"{fk.name}__in": records[parent._meta.label]}
                    ).values_list("pk", flat=True)
                )
                if pks:
                    records[label] = sorted({pks[0], pks[-1]})
                    break
    return records


def _markers(a) -> list[str]:
    """Strings that only township A's records contain."""
    markers = ["甲镇标记", "甲村标记", "甲户标记", "甲成员标记", "甲走访标记", "甲督查标记"]
    markers += ["甲整改标记", "甲佐证标记", "甲名单标记"]
    households = Household.objects.filter(township=a)
    markers += list(households.values_list("head_id_number", flat=True))
    markers += [
        n
        for n in Member.objects.filter(household__in=households).values_list("id_number", flat=True)
        if n
    ]
    other_phones = set(Household.objects.exclude(township=a).values_list("phone", flat=True))
    markers += [
        p for p in households.values_list("phone", flat=True) if p and p not in other_phones
    ]
    return markers


def _patterns(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name, list(entry.pattern.regex.groupindex)


def _word_before(route: str, param: str) -> str:
    head = re.split(r"<[^>]*\b" + re.escape(param) + r">|\(\?P<" + re.escape(param) + ">", route)[0]
    words = [w for w in re.split(r"[/^$]+", head) if w and "<" not in w and "(" not in w]
    return words[-1] if words else ""


def _values(route, name, param, records, all_values) -> list:
    if param in {"object_id"} and name.startswith("admin:"):
        app_model = name.split(":", 1)[1].rsplit("_", 1)[0]  # households_household
        for label, pks in records.items():
            if label.lower().replace(".", "_") == app_model:
                return pks
        return []
    if param == "code":
        return ["HH-VISIT-YEAR", "VILLAGE-COLLECTIVE-INCOME"]
    if param == "action":
        return ["submit", "close", "reopen", "review", "evidence", "accept"]
    if param == "kind":  # an Excel import's kind (ledgers/sheets/)
        from ledgers.sheets.base import sheets

        return [spec.kind for spec in sheets()]
    if param == "app_label":
        return sorted({m._meta.app_label for m in admin.site._registry})
    if param == "content_type_id":
        from django.contrib.contenttypes.models import ContentType

        return [ContentType.objects.get_for_model(Household).pk]
    label = WORD_MODELS.get(_word_before(route, param))
    if param == "photo_id":
        label = "households.VisitPhoto"
    if label is not None:
        return records.get(label, [])
    return all_values


def _urls(records):
    all_values = sorted({pk for pks in records.values() for pk in pks})[:60]
    for route, name, params in _patterns(get_resolver().url_patterns):
        if not params:
            yield name, reverse(name), False
            continue
        choices = [_values(route, name, p, records, all_values) for p in params]
        if any(not c for c in choices):
            continue
        # Parameters vary together (the n-th value of each), which keeps the walk linear.
        for i in range(max(len(c) for c in choices)):
            kwargs = {p: c[i % len(c)] for p, c in zip(params, choices, strict=True)}
            if "content_type_id" in kwargs:
                kwargs["object_id"] = records["households.Household"][0]
            yield name, reverse(name, kwargs=kwargs), True


def _body(response) -> tuple[str, bool]:
    content_type = response.get("Content-Type", "")
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if content_type.startswith(TEXT_TYPES) or not raw:
        return raw.decode("utf-8", "replace"), False
    return "", True  # a file: photo, workbook, evidence


def _snapshot(records) -> dict:
    """Every column of A's records, to prove the walk's writes changed none of them."""
    state = {}
    for label, pks in records.items():
        model = apps.get_model(label)
        state[label] = list(model.objects.filter(pk__in=pks).order_by("pk").values())
    return state


def _query(a_ids) -> str:
    return (
        f"?household={a_ids['household']}&village={a_ids['village']}&region={a_ids['region']}"
        f"&township={a_ids['region']}&region_code={a_ids['code']}&code={a_ids['code']}"
        f"&period={timezone.localdate().year}"
    )


def _walk(client, urls, markers, a_ids):
    """Request every URL by every method; return (leaks, errors, requests per app)."""
    client.raise_request_exception = False  # a 500 is collected and reported with the rest
    leaks, errors, walked = [], [], defaultdict(int)
    for name, url, has_params in urls:
        targets = [url] if has_params else [url, url + _query(a_ids)]
        for target in targets:
            methods = ["get", "post"]
            if has_params and name.startswith("api:"):
                methods += ["put", "patch", "delete"]
            for method in methods:
                if name in LOGOUTS:
                    continue  # the rest of the walk must stay logged in
                kwargs = {"content_type": "application/json"} if method in {"put", "patch"} else {}
                response = getattr(client, method)(target, **kwargs)
                walked[name.split(":")[0] if ":" in name else "root"] += 1
                status = response.status_code
                text, is_file = _body(response)
                if status >= 500:
                    errors.append(f"{method.upper()} {target} → {status}")
                    continue
                # An import's blank template (its path names the kind, not a record) is a file
                # for anyone who may import that kind.
                blank_template = name.endswith("_template") and "/imports/" in target
                if status == 200 and is_file and has_params and not blank_template:
                    leaks.append(f"{method.upper()} {target} → a file ({response['Content-Type']})")
                found = [m for m in markers if m in text]
                if found:
                    leaks.append(f"{method.upper()} {target} → {status} shows {found[:3]}")
                if status not in OK_STATUSES | {200, 201, 204}:
                    errors.append(f"{method.upper()} {target} → unexpected {status}")
    return leaks, errors, walked


@pytest.fixture
def walk_setup(townships):
    staff_a, staff_b, a = townships["staff_a"], townships["staff_b"], townships["a"]
    records = _a_records(staff_a, staff_b)
    a_ids = {
        "household": records["households.Household"][0],
        "village": records["villages.Village"][0],
        "region": a.pk,
        "code": a.code,
    }
    return records, _markers(a), a_ids


# The walk requests every URL by every method (some 5,000 requests a role): both roles run in
# the SQLite pass, township staff again on PostgreSQL (scope is one ORM rule on both; the whole
# walk on PostgreSQL would take most of CI's time).
@pytest.mark.parametrize("who", ["staff_b", pytest.param("reviewer_b", marks=pytest.mark.sqlite)])
def test_township_b_gets_nothing_of_township_a_anywhere(who, townships, walk_setup, client):
    records, markers, a_ids = walk_setup
    # The walk is only as good as its world: A has records of every kind that matters.
    for label in [
        "villages.Village",
        "households.Household",
        "households.Visit",
        "households.VisitPhoto",
        "households.Member",
        "inspections.SpotCheckItem",
        "inspections.RectificationItem",
        "inspections.RectificationEvidence",
        "notifications.Notification",
        "ledgers.ExportJob",
        "ledgers.RosterImport",
    ]:
        assert records.get(label), f"township A has no {label} to walk with"
    before = _snapshot(records)
    visit_count = Visit.objects.count()

    client.force_login(townships[who])
    leaks, errors, walked = _walk(client, _urls(records), markers, a_ids)
    assert not leaks, "township A leaked to township B:\n" + "\n".join(leaks)
    assert not errors, "\n".join(errors)
    assert _snapshot(records) == before, "a request of township B changed township A's records"
    assert Visit.objects.count() == visit_count
    # Every part of the project was walked (about 2,400 requests).
    for part in ["accounts", "villages", "households", "api", "admin", "ledgers", "inspections"]:
        assert walked[part] > 0, part
    assert client.get(reverse("home")).status_code == 200, "the walk was logged out"
    assert client.get(reverse("admin:index")).status_code == 302


CONTROL = {
    "households:detail",
    "households:photo",
    "api:household-detail",
    "inspections:rectification_detail",
    "inspections:evidence_download",
    "notifications:detail",
    "ledgers:job_download",
    "ledgers:import_detail",
    "admin:households_household_change",
}
ADMIN_CONTROL = "admin:households_household_change"


@pytest.mark.sqlite  # checks the walk itself, whatever the database
def test_the_walk_sees_township_a_when_township_a_asks(townships, walk_setup, client):
    """The control: the same walk by A's own staff finds A's records, so the walk above would
    see a leak if there were one."""
    records, markers, a_ids = walk_setup
    urls = [u for u in _urls(records) if u[0] in CONTROL]
    client.force_login(townships["staff_a"])
    seen, _errors, _walked = _walk(
        client, [u for u in urls if u[0] != ADMIN_CONTROL], markers, a_ids
    )
    client.force_login(User.objects.get(username="admin"))
    seen += _walk(client, [u for u in urls if u[0] == ADMIN_CONTROL], markers, a_ids)[0]
    for name in CONTROL:
        paths = [url for n, url, _ in urls if n == name]
        assert paths and any(f"GET {path} " in leak for path in paths for leak in seen), (
            f"{name}: township A's own staff did not see A's records"
        )


def test_township_staff_see_masked_numbers_on_pages_and_api(townships, client):
    staff_a = townships["staff_a"]
    household = Household.objects.filter(township=townships["a"]).exclude(phone="").first()
    client.force_login(staff_a)
    for url in [
        reverse("households:list"),
        reverse("households:detail", args=[household.pk]),
        reverse("api:household-list"),
        reverse("api:household-detail", args=[household.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert household.head_id_number not in body, url
        assert household.phone not in body, url
    detail = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert household.head_id_number[:6] + "********" + household.head_id_number[-4:] in detail

    # The ledger a township exports masks both as well.
    from ledgers.periods import parse_period
    from ledgers.services import ledger_exporter, ledger_write

    exporter = ledger_exporter(
        user=staff_a,
        kind="pairing",
        region=townships["a"],
        period=parse_period(str(timezone.localdate().year)),
    )
    out = io.BytesIO()
    ledger_write(exporter=exporter, target=out)
    from openpyxl import load_workbook

    cells = {
        str(c)
        for row in load_workbook(io.BytesIO(out.getvalue()), read_only=True).active.iter_rows(
            values_only=True
        )
        for c in row
    }
    assert household.head_id_number not in cells and household.phone not in cells
    assert household.phone[:3] + "****" + household.phone[-4:] in cells


def test_reviewer_reveals_from_the_household_page_and_it_is_logged(townships, client):
    from accounts.models import SecurityEvent

    reviewer = User.objects.get(username="reviewer")
    household = Household.objects.filter(township=townships["a"]).first()
    client.force_login(reviewer)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    reveal = reverse("households:reveal_id", args=[household.pk])
    assert reveal in page and household.head_id_number not in page
    shown = client.post(reveal).content.decode()
    assert household.head_id_number in shown
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.FULL_ID_VIEW, user=reviewer, detail__household_id=household.pk
    ).exists()


def test_the_walk_covers_every_region_role_boundary(townships):
    # Guard against a vacuous walk: B's staff really are township staff of another township.
    staff_b = townships["staff_b"]
    assert staff_b.role == Role.TOWNSHIP_STAFF and staff_b.region.level == RegionLevel.TOWNSHIP
    assert not Household.objects.visible_to(staff_b).filter(township=townships["a"]).exists()
