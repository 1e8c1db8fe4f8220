"""Duplicate households (一人多户): the one place that says when two households may be one.

Three rules, over households not merged away (`merged_into` empty):

- ID number (`id_number`): one ID number among the heads and members of two households (a
  person registered in two households). Heads' numbers are unique among heads and members'
  numbers are unique within a household (database constraints), so a number is in two
  households when a member's number is a member's or the head's number of another household.
  Refused at entry (household and member services, the roster import).
- head name and birth date (`name_birth`): the same head name and birth date (digits 7–14 of
  the head's ID number) in two villages. A warning the user confirms at entry.
- phone (`phone`): one phone for the heads of two households. A warning the user confirms.

The reviewer page, the API's findings list, the entry checks and the roster import all ask
here. Every user-facing query starts from `visible_to(user)`; a household outside the user's
scope is named only by its county and township (`describe`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.idcard import mask_id_number, mask_phone, normalise_id_number
from core.scope import scope_of
from households.models import Household, IncomeRecord, Member, Visit
from villages.models import Region

if TYPE_CHECKING:
    from accounts.models import User

ID_NUMBER = "id_number"
NAME_BIRTH = "name_birth"
PHONE = "phone"
KIND_LABELS = {
    ID_NUMBER: gettext_lazy("同一身份证号登记在两户"),
    NAME_BIRTH: gettext_lazy("户主姓名和出生日期相同（不同村）"),
    PHONE: gettext_lazy("户主联系电话相同"),
}
KINDS = (ID_NUMBER, NAME_BIRTH, PHONE)


def open_households() -> QuerySet[Household]:
    """Households not merged into another (a merged one is closed and points to the kept)."""
    return Household.objects.not_merged()


def _with_birth(qs: QuerySet[Household]) -> Any:
    """With `birth`, the head's birth date: characters 7–14 of the 18-digit number (GB 11643).
    (Typed Any: django-stubs cannot follow an annotation into later filters.)"""
    return qs.annotate(birth=Substr("head_id_number", 7, 8))


def birth_of(id_number: str) -> str:
    number = normalise_id_number(id_number)
    return number[6:14] if len(number) == 18 else ""


# --- registrations (the entry checks and the import ask with their own values) ---------------
def id_registrations(
    numbers: Iterable[str], *, exclude_household: int | None = None
) -> dict[str, set[int]]:
    """Open households each number is registered in, as head or member (two queries)."""
    wanted = {normalise_id_number(n) for n in numbers if n}
    wanted.discard("")
    found: dict[str, set[int]] = defaultdict(set)
    if not wanted:
        return found
    heads = open_households().filter(head_id_number__in=wanted)
    members = Member.objects.filter(id_number__in=wanted, household__merged_into__isnull=True)
    if exclude_household is not None:
        heads = heads.exclude(pk=exclude_household)
        members = members.exclude(household_id=exclude_household)
    for number, household_id in heads.values_list("head_id_number", "id"):
        found[number].add(household_id)
    for member_number, household_id in members.values_list("id_number", "household_id"):
        if member_number:
            found[member_number].add(household_id)
    return found


def name_birth_registrations(
    keys: Iterable[tuple[str, str, int | None]], *, exclude_household: int | None = None
) -> dict[tuple[str, str], set[int]]:
    """Open households with the head name and birth date of each (name, birth, village) key,
    in another village than the key's."""
    keys = [(name, birth, village) for name, birth, village in keys if name and birth]
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    if not keys:
        return found
    villages = {(name, birth): village for name, birth, village in keys}
    rows = _with_birth(open_households()).filter(
        head_name__in={k[0] for k in keys}, birth__in={k[1] for k in keys}
    )
    if exclude_household is not None:
        rows = rows.exclude(pk=exclude_household)
    for name, birth, village_id, household_id in rows.values_list(
        "head_name", "birth", "village_id", "id"
    ):
        if (name, birth) in villages and villages[(name, birth)] != village_id:
            found[(name, birth)].add(household_id)
    return found


def phone_registrations(
    phones: Iterable[str], *, exclude_household: int | None = None
) -> dict[str, set[int]]:
    """Open households whose head has each phone."""
    wanted = {p.strip() for p in phones if p and p.strip()}
    found: dict[str, set[int]] = defaultdict(set)
    if not wanted:
        return found
    rows = open_households().exclude(phone="").filter(phone__in=wanted)
    if exclude_household is not None:
        rows = rows.exclude(pk=exclude_household)
    for phone, household_id in rows.values_list("phone", "id"):
        found[phone].add(household_id)
    return found


# --- naming another household in scope terms -------------------------------------------------
@dataclass
class Named:
    text: str
    url: str | None


def describe(user: User | None, household: Household, visible: set[int] | None = None) -> Named:
    """Another household as the user may see it: inside scope its village, head and link;
    outside, only where (county, township) it is registered."""
    if visible is None:
        inside = user is None or (
            Household.objects.visible_to(user).filter(pk=household.pk).exists()
        )
    else:
        inside = household.pk in visible
    village = household.village
    if inside:
        return Named(
            _("%(township)s%(village)s %(name)s户")
            % {
                "township": village.township.name,
                "village": village.name,
                "name": household.head_name,
            },
            reverse("households:detail", args=[household.pk]),
        )
    return Named(elsewhere(user, household.path), None)


def elsewhere(user: User | None, path: str) -> str:
    """Where a household outside the user's scope is registered, in the user's own terms: the
    deepest region the user's scope and the household share (their own county, say), never the
    other township, village or person."""
    own = scope_of(user).region_path if user is not None else None
    common, prefix = "", ""
    for segment in (own or "").split("/"):
        if not segment:
            continue
        prefix += segment + "/"
        if not path.startswith(prefix):
            break
        common = prefix
    region = Region.objects.filter(path=common).first() if common else None
    if region is None:
        return _("已在其他地区登记")
    return _("已在%(region)s的其他地方登记") % {"region": region.name}


def described(user: User | None, ids: Iterable[int]) -> list[str]:
    ids = set(ids)
    rows = Household.objects.filter(pk__in=ids).select_related(
        "village__township", "village__county"
    )
    visible = (
        set(ids)
        if user is None
        else set(Household.objects.visible_to(user).filter(pk__in=ids).values_list("id", flat=True))
    )
    return [describe(user, h, visible).text for h in rows.order_by("id")]


# --- entry checks ----------------------------------------------------------------------------
@dataclass
class EntryProblems:
    """What an entry (form, API, import row) would duplicate: refusals by field, warnings the
    user may confirm."""

    refusals: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def id_refusal(user: User | None, number: str, household_id: int | None) -> str | None:
    """The refusal of an ID number already registered in another open household, naming it in
    scope terms; None when it is not."""
    others = id_registrations([number], exclude_household=household_id).get(
        normalise_id_number(number), set()
    )
    if not others:
        return None
    return _(
        "该身份证号已在%(other)s登记，同一人不能登记在两户；如确为重复户，请由县级审核人员合并。"
    ) % {"other": "、".join(described(user, others))}


def household_entry_problems(user: User | None, household: Household) -> EntryProblems:
    """The head's ID number in another open household (refused), same name and birth date or
    same phone (warnings). On a change, only the fields that changed are checked again."""
    problems = EntryProblems()
    before: Any = {}
    if household.pk:
        before = (
            Household.objects.filter(pk=household.pk)
            .values("head_name", "head_id_number", "phone", "village_id")
            .first()
            or {}
        )
    number = household.head_id_number
    if number and number != before.get("head_id_number"):
        # Among heads the database already refuses a second one (services._id_taken names it);
        # here: the number is a member of another household.
        others = {
            hid
            for hid in id_registrations([number], exclude_household=household.pk).get(number, set())
        }
        others -= set(open_households().filter(head_id_number=number).values_list("id", flat=True))
        if others:
            problems.refusals["head_id_number"] = [
                _(
                    "该身份证号已在%(other)s登记为家庭成员，同一人不能登记在两户；如确为重复户，请由县级审核人员合并。"
                )
                % {"other": "、".join(described(user, others))}
            ]

    def changed(*names: str) -> bool:
        return not before or any(getattr(household, n) != before.get(n) for n in names)

    birth = birth_of(number)
    if changed("head_name", "head_id_number", "village_id"):
        same = name_birth_registrations(
            [(household.head_name, birth, household.village_id)], exclude_household=household.pk
        ).get((household.head_name, birth))
        if same:
            problems.warnings.append(
                _("户主姓名和出生日期与%(other)s相同，请核实是否重复登记。")
                % {"other": "、".join(described(user, same))}
            )
    phone = (household.phone or "").strip()
    if phone and changed("phone"):
        same = phone_registrations([phone], exclude_household=household.pk).get(phone)
        if same:
            problems.warnings.append(
                _("联系电话与%(other)s的户主相同，请核实是否重复登记。")
                % {"other": "、".join(described(user, same))}
            )
    return problems


def member_id_refusal(user: User | None, member: Member) -> str | None:
    """A member's ID number already registered in another open household (as head or member)."""
    if not member.id_number:
        return None
    if member.pk:
        before = Member.objects.filter(pk=member.pk).values_list("id_number", flat=True).first()
        if before == member.id_number:
            return None
    return id_refusal(user, member.id_number, member.household_id)


CONFIRM_HINT = gettext_lazy("如核实不是同一户，请勾选“仍然保存”后再提交。")


# --- findings (the reviewer page and the API) ------------------------------------------------
@dataclass
class Finding:
    kind: str
    key: str  # the shared value (shown masked where it is an ID number or a phone)
    first: int
    second: int

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


def _pairs(
    kind: str, groups: dict[Any, set[int]], visible: set[int], shown: Callable[[Any], str]
) -> list[Finding]:
    found = []
    for key, ids in groups.items():
        for a, b in combinations(sorted(ids), 2):
            if a in visible or b in visible:
                found.append(Finding(kind, shown(key), a, b))
    return found


# The three rules as GROUP BY queries over every open household: the other household of a
# finding may lie outside the user's scope (it is then named by its place only), so the groups
# are the whole register's; `findings` keeps the pairs with a side in the user's scope.
def _id_groups() -> dict[str, set[int]]:
    members = Member.objects.filter(household__merged_into__isnull=True, id_number__isnull=False)
    # one number among the members of two households
    shared = (
        members.order_by()
        .values("id_number")
        # a number is once per household (member_id_once_per_household): no DISTINCT needed
        .annotate(households=Count("household_id"))
        .filter(households__gt=1)
        .values_list("id_number", flat=True)
    )
    # a member's number that is the head's number of another household
    other_head = (
        members.filter(id_number__in=open_households().order_by().values("head_id_number"))
        .exclude(id_number=F("household__head_id_number"))
        .order_by()
        .values_list("id_number", flat=True)
    )
    numbers = {n for n in shared if n} | {n for n in other_head if n}
    return id_registrations(numbers)


def _name_birth_groups() -> dict[tuple[str, str], set[int]]:
    keys = set(
        _with_birth(open_households())
        .order_by()
        .values("head_name", "birth")
        .annotate(villages=Count("village_id", distinct=True))
        .filter(villages__gt=1)
        .values_list("head_name", "birth")
    )
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    if not keys:
        return groups
    rows = _with_birth(open_households()).filter(
        head_name__in={k[0] for k in keys}, birth__in={k[1] for k in keys}
    )
    for name, birth, household_id in rows.order_by().values_list("head_name", "birth", "id"):
        if (name, birth) in keys:
            groups[(name, birth)].add(household_id)
    return groups


def _phone_groups() -> dict[str, set[int]]:
    phones = set(
        open_households()
        .exclude(phone="")
        .order_by()
        .values("phone")
        .annotate(households=Count("id"))
        .filter(households__gt=1)
        .values_list("phone", flat=True)
    )
    return phone_registrations(phones)


def findings(user: User, kinds: Iterable[str] = KINDS) -> list[Finding]:
    """Every pair of open households that may be one, by kind, where at least one of the two is
    in the user's scope. For `name_birth` the two are in different villages."""
    kinds = set(kinds)
    groups: dict[str, dict[Any, set[int]]] = {}
    if ID_NUMBER in kinds:
        groups[ID_NUMBER] = _id_groups()
    if NAME_BIRTH in kinds:
        groups[NAME_BIRTH] = _name_birth_groups()
    if PHONE in kinds:
        groups[PHONE] = _phone_groups()
    ids = {i for by_key in groups.values() for members in by_key.values() for i in members}
    if not ids:
        return []
    visible = set(
        Household.objects.visible_to(user).filter(pk__in=ids).values_list("id", flat=True)
    )
    shown: dict[str, Callable[[Any], str]] = {
        ID_NUMBER: mask_id_number,
        NAME_BIRTH: lambda k: f"{k[0]} {k[1][:4]}-{k[1][4:6]}-{k[1][6:]}",
        PHONE: mask_phone,
    }
    villages: dict[int, int] = {}
    if NAME_BIRTH in groups:
        named = {i for members in groups[NAME_BIRTH].values() for i in members}
        villages = dict(Household.objects.filter(pk__in=named).values_list("id", "village_id"))
    result: list[Finding] = []
    for kind in KINDS:
        if kind not in groups:
            continue
        for finding in _pairs(kind, groups[kind], visible, shown[kind]):
            if kind == NAME_BIRTH and villages.get(finding.first) == villages.get(finding.second):
                continue
            result.append(finding)
    return result


@dataclass
class Side:
    """One household of a finding as the page shows it."""

    household: Household
    inside: bool
    named: Named
    members: list[tuple[str, str, str]]  # name, relation, masked ID
    visits: int
    incomes: int
    masked_id: str = ""
    masked_phone: str = ""


def sides(user: User, ids: Iterable[int]) -> dict[int, Side]:
    """The households of the findings, side by side: village, head, members with masked IDs,
    counts of visits and incomes (a fixed number of queries)."""
    ids = set(ids)
    visible = set(
        Household.objects.visible_to(user).filter(pk__in=ids).values_list("id", flat=True)
    )
    visits = (
        Visit.objects.filter(household_id=OuterRef("pk"))
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    incomes = (
        IncomeRecord.objects.filter(household_id=OuterRef("pk"))
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        Household.objects.filter(pk__in=ids)
        .select_related("village__township", "village__county")
        .annotate(
            visit_count=Coalesce(Subquery(visits, output_field=IntegerField()), 0),
            income_count=Coalesce(Subquery(incomes, output_field=IntegerField()), 0),
        )
    )
    members: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for m in Member.objects.filter(household_id__in=visible).order_by("household_id", "id"):
        members[m.household_id].append(
            (m.name, str(m.get_relation_display()), mask_id_number(m.id_number or ""))
        )
    result = {}
    for h in rows:
        inside = h.pk in visible
        result[h.pk] = Side(
            household=h,
            inside=inside,
            named=describe(user, h, visible),
            members=members.get(h.pk, []) if inside else [],
            visits=h.visit_count if inside else 0,
            incomes=h.income_count if inside else 0,
            masked_id=mask_id_number(h.head_id_number) if inside else "",
            masked_phone=mask_phone(h.phone) if inside else "",
        )
    return result


def pair_is_finding(user: User, first: Household, second: Household) -> bool:
    """Whether two households are one of the user's findings (any kind)."""
    a, b = sorted([first.pk, second.pk])
    return any(f.first == a and f.second == b for f in findings(user))


__all__ = [
    "CONFIRM_HINT",
    "EntryProblems",
    "Finding",
    "KINDS",
    "KIND_LABELS",
    "describe",
    "findings",
    "household_entry_problems",
    "id_refusal",
    "id_registrations",
    "member_id_refusal",
    "name_birth_registrations",
    "open_households",
    "phone_registrations",
    "sides",
]
