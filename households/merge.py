"""Merging two households registered for one family (一人多户) and undoing the merge.

`merge_households(user, kept, other, reason)`: a county reviewer (core/keepers.py
"household_merge"), both households in scope (404 otherwise), in one transaction. Every record
that refers to `other` is found through `Household._meta` (so a new foreign key is not
forgotten: a relation without a rule below refuses the merge) and moves to `kept`, with its
place (village, township, path) where it carries one, except:

- members whose ID number is already registered in `kept` (its head or a member) are not
  duplicated: they stay with the closed household and are listed; the other household's head
  joins as relation 其他 (the kept household has its own head);
- incomes, yearly income and expenses and yearly reviews of a year `kept` already has: the
  kept household's figure stands, the other's stays with the closed household (listed);
- pairings: every pairing moves, in force or ended, so the helpers answer for the merged family
  and their visits keep their pairing (one with the same helper and start date as one of
  `kept`'s stays);
- visits move, except a credited visit by a helper on a day `kept` already has a credited
  visit from that helper (the one-credited-visit rule; it stays);
- one-household-one-plan: moves when `kept` has none, else its measures join `kept`'s plan;
- monitoring cases move, but when both households have an open case the merge is refused
  (one open case per household; close or finish one first);
- spot-check items (a draw's record of what it drew) and indicator results (rewritten by the
  next evaluation) stay.

`other` is closed (closed_on, merged_into → kept); both households' change history records
the merge; a `HouseholdMerge` row lists the moved and the staying ids per model with a
fingerprint of each moved record and the ids of what refers to it.

`undo_merge(user, merge)`: moves exactly those records back and reopens `other`, while nothing
changed: refused when a moved record was changed, deleted or moved since, when a new record
refers to a moved one (a photo added to a moved visit, a step to a moved case …) or to the
closed household, or when `kept` has since been merged into another household.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.kept import kept_require
from households import duplicates
from households.models import Household, HouseholdMerge, Measure, Member, Plan
from periods.rules import DATED
from periods.rules import guard as lock_guard

if TYPE_CHECKING:
    from accounts.models import User

KEEPER_KIND = "household_merge"

MOVE = "move"
MEMBERS = "members"
YEARLY = "yearly"
PAIRINGS = "pairings"
VISITS = "visits"
PLAN = "plan"
CASES = "cases"
STAY = "stay"

# Every relation to Household, by "app.Model.field": what a merge does with it.
RULES: dict[str, str] = {
    "households.Member.household": MEMBERS,
    "households.IncomeRecord.household": YEARLY,
    "households.Plan.household": PLAN,
    "households.HouseholdPairing.household": PAIRINGS,
    "households.Visit.household": VISITS,
    "households.Household.merged_into": STAY,
    "households.HouseholdMerge.kept": STAY,
    "households.HouseholdMerge.other": STAY,
    "monitoring.RiskClue.household": MOVE,
    "monitoring.MonitoringCase.household": CASES,
    "monitoring.HouseholdFinance.household": YEARLY,
    "monitoring.HouseholdReview.household": YEARLY,
    "inspections.SpotCheckItem.household": STAY,
    "inspections.RectificationItem.household": MOVE,
    "assessments.IndicatorResult.household": STAY,
}
PLACE_FIELDS = ("village_id", "township_id", "path")
OPEN_CASE_STATUSES = ("identifying", "monitored")
MEASURES = "households.Measure"


def household_relations() -> list[tuple[str, type[models.Model], str]]:
    """(rule key, model, field name) of every foreign key to Household, hidden ones included."""
    found = []
    for rel in _reverse_relations(Household):
        model = rel.related_model
        found.append((f"{model._meta.label}.{rel.field.name}", model, rel.field.name))
    return found


def _reverse_relations(model: type[models.Model]) -> list[Any]:
    """The foreign keys (and one-to-one keys) of other models to this one, hidden ones too."""
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label


@dataclass
class Part:
    """What a merge does with one kind of record."""

    model: type[models.Model]
    via: str  # the foreign key's name
    move: list[int] = field(default_factory=list)
    stay: list[int] = field(default_factory=list)
    why_stay: str = ""

    @property
    def name(self) -> str:
        return str(self.model._meta.verbose_name)


@dataclass
class MergePlan:
    kept: Household
    other: Household
    parts: list[Part] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    relations: dict[str, str] = field(default_factory=dict)  # member id → relation before
    plan_moves: bool = False

    def summary(self) -> list[tuple[str, int, int, str]]:
        """(kind of record, moving, staying, why they stay) for the confirm page."""
        return [
            (p.name, len(p.move), len(p.stay), p.why_stay) for p in self.parts if p.move or p.stay
        ]


def _years(model: type[models.Model], household_id: int) -> set[int]:
    return set(model._base_manager.filter(household_id=household_id).values_list("year", flat=True))


def merge_plan(user: User, kept: Household, other: Household) -> MergePlan:
    """What merging `other` into `kept` would move and leave (the dry run and the merge)."""
    kept_require(user, KEEPER_KIND)
    visible = Household.objects.visible_to(user).filter(pk__in=[kept.pk, other.pk])
    if visible.count() != len({kept.pk, other.pk}):
        raise Http404
    plan = MergePlan(kept=kept, other=other)
    if kept.pk == other.pk:
        plan.refusals.append(_("不能把一户与自身合并。"))
        return plan
    if kept.merged_into_id or other.merged_into_id:
        plan.refusals.append(_("已合并注销的户不能再合并。"))
        return plan
    for key, model, name in household_relations():
        rule = RULES.get(key)
        if rule is None:
            plan.refusals.append(
                _("%(what)s还没有合并规则，暂不能合并。") % {"what": model._meta.verbose_name}
            )
            continue
        if rule == STAY:
            continue
        rows = model._base_manager.filter(**{name: other.pk})
        part = Part(model=model, via=name)
        if rule == MEMBERS:
            kept_ids = set(
                Member.objects.filter(household=kept, id_number__isnull=False).values_list(
                    "id_number", flat=True
                )
            ) | {kept.head_id_number}
            for pk, number, relation in rows.values_list("pk", "id_number", "relation"):
                if relation == Member.Relation.HEAD and not number:
                    number = other.head_id_number  # the head is who the household names
                if number and number in kept_ids:
                    part.stay.append(pk)
                else:
                    part.move.append(pk)
                    if relation == Member.Relation.HEAD:
                        plan.relations[str(pk)] = relation
            part.why_stay = str(_("身份证号已在保留户登记，不重复登记"))
        elif rule == YEARLY:
            years = _years(model, kept.pk)
            for pk, year in rows.values_list("pk", "year"):
                (part.stay if year in years else part.move).append(pk)
            part.why_stay = str(_("保留户已有该年度记录，以保留户为准"))
        elif rule == PAIRINGS:
            taken = set(
                model._base_manager.filter(household_id=kept.pk).values_list(
                    "helper_id", "start_date"
                )
            )
            for pk, helper, start in rows.values_list("pk", "helper_id", "start_date"):
                (part.stay if (helper, start) in taken else part.move).append(pk)
            part.why_stay = str(_("保留户已有同一帮扶责任人同日开始的结对"))
        elif rule == VISITS:
            taken = set(
                model._base_manager.filter(
                    household_id=kept.pk, credit_status="credited"
                ).values_list("helper_id", "visited_on")
            )
            for pk, helper, day, status in rows.values_list(
                "pk", "helper_id", "visited_on", "credit_status"
            ):
                clash = status == "credited" and (helper, day) in taken
                (part.stay if clash else part.move).append(pk)
            part.why_stay = str(_("同一帮扶责任人当天已有一次计入考核的走访"))
        elif rule == PLAN:
            if Plan.objects.filter(household=kept).exists():
                mine = Plan.objects.filter(household=other).first()
                if mine is not None:
                    measures = Part(model=Measure, via="plan")
                    measures.move = list(
                        Measure.objects.filter(plan=mine).values_list("pk", flat=True)
                    )
                    plan.parts.append(measures)
                    part.stay = [mine.pk]
                    part.why_stay = str(_("保留户已有一户一策，措施并入保留户的一户一策"))
            else:
                part.move = list(rows.values_list("pk", flat=True))
                plan.plan_moves = bool(part.move)
        elif rule == CASES:
            open_other = rows.filter(status__in=OPEN_CASE_STATUSES).exists()
            open_kept = model._base_manager.filter(
                household_id=kept.pk, status__in=OPEN_CASE_STATUSES
            ).exists()
            if open_other and open_kept:
                plan.refusals.append(_("两户都有正在进行的监测，请先办结其中一户的监测再合并。"))
            part.move = list(rows.values_list("pk", flat=True))
        else:
            part.move = list(rows.values_list("pk", flat=True))
        plan.parts.append(part)
    return plan


def _fingerprints(model: type[models.Model], ids: list[int]) -> dict[str, str]:
    """A digest of every concrete field of each row (one query)."""
    names = [f.attname for f in model._meta.concrete_fields]
    at = names.index(model._meta.pk.attname)
    return {
        str(values[at]): hashlib.sha256(repr(values).encode()).hexdigest()[:24]
        for values in model._base_manager.filter(pk__in=ids).order_by("pk").values_list(*names)
    }


def _children(model: type[models.Model], ids: list[int]) -> dict[str, list[int]]:
    """The ids of the records that refer to these rows, by relation (one query per relation)."""
    result = {}
    for rel in _reverse_relations(model):
        child = rel.related_model
        result[f"{child._meta.label}.{rel.field.name}"] = sorted(
            child._base_manager.filter(**{f"{rel.field.name}__in": ids}).values_list(
                "pk", flat=True
            )
        )
    return result


def _place(household: Household, model: type[models.Model]) -> dict[str, Any]:
    names = {f.attname for f in model._meta.concrete_fields}
    values = {
        "village_id": household.village_id,
        "township_id": household.township_id,
        "path": household.path,
    }
    return {name: value for name, value in values.items() if name in names}


def _ensure_movable(model: type[models.Model], via: str, ids: list[int], target: Household) -> None:
    """Moving a dated record (a visit, a yearly income) to another household changes a record of
    the period it is dated in, in the township it leaves and the one it joins: refused, like any
    other change, when either period is locked (periods.rules, ValidationError naming it)."""
    if model._meta.label not in DATED or not ids:
        return
    for record in model._base_manager.filter(pk__in=ids):
        setattr(record, via, target)
        for name, value in _place(target, model).items():
            setattr(record, name, value)
        lock_guard(record, deleting=False)


def _move(part: Part, ids: list[int], target: Household) -> None:
    if not ids:
        return
    _ensure_movable(part.model, part.via, ids, target)
    if part.model is Measure:
        target_plan = Plan.objects.get(household=target)
        Measure.objects.filter(pk__in=ids).update(plan=target_plan)
        return
    part.model._base_manager.filter(pk__in=ids).update(
        **{f"{part.via}_id": target.pk}, **_place(target, part.model)
    )


def _log(user: User, household: Household, text: str) -> None:
    LogEntry.objects.log_create(
        household,
        action=LogEntry.Action.UPDATE,
        changes={str(_("合并重复户")): ["", text]},
        actor=user if getattr(user, "pk", None) else None,
        force_log=True,
    )


def _moved_text(plan_or_merge_parts: list[tuple[str, int]]) -> str:
    return "，".join(
        _("%(what)s %(count)d 条") % {"what": what, "count": count}
        for what, count in plan_or_merge_parts
        if count
    ) or str(_("无记录移动"))


def merge_households(user: User, kept: Household, other: Household, reason: str) -> HouseholdMerge:
    """Merge `other` into `kept` (see the module's docstring); one transaction."""
    kept_require(user, KEEPER_KIND)
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = {
            h.pk: h
            for h in Household.objects.select_for_update().filter(pk__in=[kept.pk, other.pk])
        }
        if kept.pk not in locked or other.pk not in locked:
            raise Http404
        kept, other = locked[kept.pk], locked[other.pk]
        plan = merge_plan(user, kept, other)
        errors: dict[str, list[str]] = {}
        if not reason:
            errors["reason"] = [_("请填写合并理由。")]
        if plan.refusals:
            errors["__all__"] = plan.refusals
        if errors:
            raise ValidationError(errors)
        moved: dict[str, list[int]] = {}
        stayed: dict[str, list[int]] = {}
        # Measures join the kept plan after the plan rule ran; a moving plan moves first.
        for part in plan.parts:
            _move(part, part.move, kept)
            moved[_label(part.model)] = sorted(part.move)
            stayed[_label(part.model)] = sorted(part.stay)
        heads = [int(pk) for pk in plan.relations]
        if heads:
            Member.objects.filter(pk__in=heads).update(relation=Member.Relation.OTHER)
        other.merged_into = kept
        other.closed_on = timezone.localdate()
        other.save(update_fields=["merged_into", "closed_on", "updated_at"])
        merge = HouseholdMerge.objects.create(
            kept=kept,
            other=other,
            reason=reason[:300],
            moved=moved,
            stayed=stayed,
            relations=plan.relations,
            merged_by=user if getattr(user, "pk", None) else None,
        )
        merge.fingerprints = _snapshot(merge)
        merge.save(update_fields=["fingerprints"])
        counts = [(p.name, len(p.move)) for p in plan.parts]
        _log(
            user,
            kept,
            _("并入%(other)s（%(moved)s）；理由：%(reason)s")
            % {
                "other": duplicates.describe(None, other).text,
                "moved": _moved_text(counts),
                "reason": reason,
            },
        )
        _log(
            user,
            other,
            _("合并到%(kept)s，本户注销；理由：%(reason)s")
            % {"kept": duplicates.describe(None, kept).text, "reason": reason},
        )
    return merge


def _snapshot(merge: HouseholdMerge) -> dict[str, Any]:
    from django.apps import apps

    rows: dict[str, Any] = {}
    for label, ids in merge.moved.items():
        if not ids:
            continue
        model = apps.get_model(label)
        rows[label] = {"rows": _fingerprints(model, ids), "children": _children(model, ids)}
    return rows


def undo_problems(merge: HouseholdMerge) -> list[str]:
    """Why the merge can no longer be undone (empty: it can)."""
    from django.apps import apps

    problems: list[str] = []
    if merge.undone_at is not None:
        return [str(_("该次合并已撤销。"))]
    kept = Household.objects.get(pk=merge.kept_id)
    if kept.merged_into_id:
        problems.append(str(_("保留户此后已合并到其他户，请先撤销那次合并。")))
    now = _snapshot(merge)
    for label, before in merge.fingerprints.items():
        model = apps.get_model(label)
        after = now.get(label, {"rows": {}, "children": {}})
        what = model._meta.verbose_name
        if after["rows"] != before["rows"]:
            changed = len(set(before["rows"].items()) ^ set(after["rows"].items())) // 2 or 1
            problems.append(
                str(
                    _("合并后有%(what)s被修改或删除（%(count)d 条）。")
                    % {"what": what, "count": changed}
                )
            )
        for relation, ids in before["children"].items():
            if after["children"].get(relation, []) != ids:
                child = apps.get_model(relation.rsplit(".", 1)[0])
                problems.append(
                    str(
                        _("合并后有%(child)s登记到移入的%(what)s上。")
                        % {"child": child._meta.verbose_name, "what": what}
                    )
                )
    for key, model, name in household_relations():
        if RULES.get(key, STAY) == STAY:
            continue
        stayed = set(merge.stayed.get(_label(model), []))
        new = model._base_manager.filter(**{name: merge.other_id}).exclude(pk__in=stayed)
        if new.exists():
            problems.append(
                str(_("合并后又有%(what)s登记到已注销的户。") % {"what": model._meta.verbose_name})
            )
    return problems


def undo_merge(user: User, merge: HouseholdMerge) -> HouseholdMerge:
    """Move exactly the moved records back and reopen the closed household (one transaction);
    refused (ValidationError listing why) when anything changed since the merge."""
    from django.apps import apps

    kept_require(user, KEEPER_KIND)
    if not HouseholdMerge.objects.visible_to(user).filter(pk=merge.pk).exists():
        raise Http404
    with transaction.atomic():
        merge = HouseholdMerge.objects.select_for_update().get(pk=merge.pk)
        locked = {
            h.pk: h
            for h in Household.objects.select_for_update().filter(
                pk__in=[merge.kept_id, merge.other_id]
            )
        }
        kept, other = locked[merge.kept_id], locked[merge.other_id]
        if not Household.objects.visible_to(user).filter(pk=other.pk).exists():
            raise Http404
        problems = undo_problems(merge)
        if problems:
            raise ValidationError({"__all__": problems})
        relation_field = {_label(model): name for _k, model, name in household_relations()}
        # Measures first (they go back to the other's plan, which may itself be moving back).
        plan_back = merge.moved.get(_label(Plan), [])
        if plan_back:
            Plan.objects.filter(pk__in=plan_back).update(household=other)
        for label, ids in merge.moved.items():
            if not ids or label == _label(Plan):
                continue
            model = apps.get_model(label)
            if label == MEASURES:
                Measure.objects.filter(pk__in=ids).update(plan=Plan.objects.get(household=other))
                continue
            name = relation_field[label]
            _ensure_movable(model, name, ids, other)
            model._base_manager.filter(pk__in=ids).update(
                **{f"{name}_id": other.pk}, **_place(other, model)
            )
        by_relation: dict[str, list[int]] = defaultdict(list)
        for pk, relation in merge.relations.items():
            by_relation[relation].append(int(pk))
        for relation, ids in by_relation.items():
            Member.objects.filter(pk__in=ids).update(relation=relation)
        other.merged_into = None
        other.closed_on = None
        other.save(update_fields=["merged_into", "closed_on", "updated_at"])
        merge.undone_at = timezone.now()
        merge.undone_by = user if getattr(user, "pk", None) else None
        merge.save(update_fields=["undone_at", "undone_by"])
        _log(
            user,
            kept,
            _("撤销合并：%(other)s恢复为单独一户")
            % {"other": duplicates.describe(None, other).text},
        )
        _log(
            user,
            other,
            _("撤销合并：本户恢复，不再并入%(kept)s")
            % {"kept": duplicates.describe(None, kept).text},
        )
    return merge


def merges_for(user: User) -> Any:
    """The merge history in the user's scope (newest first)."""
    return (
        HouseholdMerge.objects.visible_to(user)
        .select_related(
            "kept__village__township",
            "kept__village__county",
            "other__village__township",
            "other__village__county",
            "merged_by",
            "undone_by",
        )
        .order_by("-merged_at", "-id")
    )


LABEL = gettext_lazy("合并重复户")
__all__ = ["LABEL", "MergePlan", "merge_households", "merge_plan", "merges_for", "undo_merge"]
