"""Who keeps which structure record (DOMAIN.md, "who uses it"): the one place that says which
roles may create, change and end each kind of record. Pages, Excel imports and the API all ask
here (through the services); scope (core/scope.py) then decides *which* records of that kind.

- county Party-work department (reviewers): units and their Party organisations, organisation
  pairings with their participants, plans and projects, stationed cadres and first secretaries
  with their terms, work teams, yearly grades, working funds, the region tree and villages,
  indicator thresholds for their subtree;
- township staff: households and members, household–helper pairings, the three-person liaison,
  reserve cadres, dispatched talents, one-household-one-plan and its measures;
- a helping unit's coordinator: the unit's helpers, pairings of its helpers with households in
  the villages the unit is paired with, the unit's projects and Party members' donations;
- a stationed cadre: their own profile.

Administrators keep everything. Everyone else reads (within scope) or gets 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.scope import Role

REVIEWER = frozenset({Role.REVIEWER})
TOWNSHIP = frozenset({Role.TOWNSHIP_STAFF, Role.REVIEWER})
UNIT = frozenset({Role.COORDINATOR, Role.REVIEWER})
HOUSEHOLD_PAIRING = frozenset({Role.TOWNSHIP_STAFF, Role.COORDINATOR, Role.REVIEWER})

KEEPERS: dict[str, frozenset[str]] = {
    # the county Party-work department
    "region": REVIEWER,
    "village": REVIEWER,
    "unit": REVIEWER,
    "party_organisation": REVIEWER,
    "pairing": REVIEWER,  # organisation pairings, their participants and yearly plans
    "cadre": REVIEWER,  # stationed cadres, first secretaries, leaders, talents' records
    "term": REVIEWER,
    "work_team": REVIEWER,
    "yearly_grade": REVIEWER,
    "working_fund": REVIEWER,
    "threshold": REVIEWER,
    "household_merge": REVIEWER,  # merging duplicate households (households/merge.py)
    "ledger_subscription": REVIEWER,  # ledgers e-mailed to superiors on a schedule
    "period_setting": REVIEWER,  # a county's reporting period and its lock days (periods/)
    # township staff (reviewers may correct)
    "household": TOWNSHIP,
    "member": TOWNSHIP,
    "income": TOWNSHIP,
    "liaison": TOWNSHIP,
    "reserve_cadre": TOWNSHIP,
    "talent": TOWNSHIP,
    "plan": TOWNSHIP,
    "measure": TOWNSHIP,
    # township staff and the unit whose helper it is
    "household_pairing": HOUSEHOLD_PAIRING,
    # a helping unit's coordinator (reviewers may correct)
    "helper": UNIT,  # the unit's helpers (Party members and cadres)
    "project": UNIT,
    "donation": UNIT,
    # monitoring against relapse (防止返贫致贫; monitoring/services.py): county reviewers set
    # the range and decide; township staff run the steps of their township (reviewers may
    # correct), the township's own review is theirs alone; stationed cadres raise clues and
    # record home checks for their villages
    "monitoring_range": REVIEWER,
    "county_decision": REVIEWER,
    "clue_acceptance": TOWNSHIP,
    "clue_decision": TOWNSHIP,
    "monitoring_case": TOWNSHIP,
    "data_comparison": TOWNSHIP,
    "village_appraisal": TOWNSHIP,
    "public_notice": TOWNSHIP,
    "monitoring_measure": TOWNSHIP,
    "monitoring_finance": TOWNSHIP,
    "risk_removal": TOWNSHIP,
    "township_review": frozenset({Role.TOWNSHIP_STAFF}),
    "risk_clue": frozenset({Role.TOWNSHIP_STAFF, Role.CADRE, Role.REVIEWER}),
    "home_check": frozenset({Role.TOWNSHIP_STAFF, Role.CADRE, Role.REVIEWER}),
}

# Monitoring work is a step of a procedure rather than a record: its refusal names the action.
ACTION_LABELS = {
    "monitoring_range": gettext_lazy("设定监测范围"),
    "county_decision": gettext_lazy("进行县级审定"),
    "clue_acceptance": gettext_lazy("受理农户申报"),
    "clue_decision": gettext_lazy("办结风险线索"),
    "monitoring_case": gettext_lazy("启动或调整监测识别"),
    "data_comparison": gettext_lazy("登记数据比对结果"),
    "village_appraisal": gettext_lazy("登记民主评议和公示"),
    "public_notice": gettext_lazy("维护公示"),
    "monitoring_measure": gettext_lazy("维护监测帮扶措施"),
    "monitoring_finance": gettext_lazy("登记收支情况"),
    "risk_removal": gettext_lazy("办理风险消除"),
    "township_review": gettext_lazy("进行乡镇审核"),
    "risk_clue": gettext_lazy("登记风险线索"),
    "home_check": gettext_lazy("登记入户核实"),
}

KIND_LABELS = {
    "region": gettext_lazy("行政区划"),
    "village": gettext_lazy("村"),
    "unit": gettext_lazy("帮扶单位"),
    "party_organisation": gettext_lazy("党组织"),
    "pairing": gettext_lazy("组织结对"),
    "cadre": gettext_lazy("干部"),
    "term": gettext_lazy("任期"),
    "work_team": gettext_lazy("驻村工作队"),
    "yearly_grade": gettext_lazy("年度考核等次"),
    "working_fund": gettext_lazy("工作经费"),
    "threshold": gettext_lazy("考核指标阈值"),
    "household_merge": gettext_lazy("重复户合并"),
    "ledger_subscription": gettext_lazy("台账定期报送"),
    "period_setting": gettext_lazy("报送设置"),
    "household": gettext_lazy("贫困户"),
    "member": gettext_lazy("家庭成员"),
    "income": gettext_lazy("收入"),
    "liaison": gettext_lazy("三人联络组"),
    "reserve_cadre": gettext_lazy("后备干部"),
    "talent": gettext_lazy("下派人才"),
    "plan": gettext_lazy("一户一策"),
    "measure": gettext_lazy("帮扶措施"),
    "household_pairing": gettext_lazy("结对帮扶关系"),
    "helper": gettext_lazy("帮扶责任人"),
    "project": gettext_lazy("帮扶项目"),
    "donation": gettext_lazy("党员捐助"),
}


def may_keep(user, kind: str) -> bool:
    """Whether the user's role keeps records of this kind (scope decides which ones)."""
    if kind not in KEEPERS:
        raise KeyError(kind)
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role in KEEPERS[kind]


def require_keeper(user, kind: str) -> None:
    """Refuse (403, in Chinese) a write by a role that does not keep this kind of record."""
    if not may_keep(user, kind):
        raise PermissionDenied(
            _("您的角色不能维护%(kind)s。") % {"kind": KIND_LABELS.get(kind, kind)}
        )


def kinds_kept_by(user) -> list[str]:
    """The kinds of record the user keeps (for the navigation)."""
    return [kind for kind in KEEPERS if may_keep(user, kind)]
