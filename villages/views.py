"""Village pages of the villages app: the collective income entry pages (villages:income_*),
and the region tree and villages kept by reviewers (villages:region_*, villages:village_*,
on the hub /structure/ under 区划与村). The village list and page everyone reads
(villages:list, villages:detail) are the home app's. Thin: selectors read, services write."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entry_views import EntryPages, initial_village, query_without_page, register_activity
from core.keepers import may_keep
from core.kept_views import Column, KeptPages, Section, register_kept
from villages.filters import KeptVillageFilter
from villages.forms import RegionForm, VillageForm, VillageIncomeForm
from villages.models import Region, RegionLevel, Village, VillageIncome
from villages.services import (
    region_delete,
    region_record,
    region_update,
    village_delete,
    village_end,
    village_income_delete,
    village_income_record,
    village_income_update,
    village_record,
    village_update,
)

INCOME_PAGES = EntryPages(
    model=VillageIncome,
    form_class=VillageIncomeForm,
    namespace="villages",
    name="income",
    label=gettext_lazy("村集体经济收入"),
    record=village_income_record,
    update=village_income_update,
    delete=village_income_delete,
    instance_kw="income",
    queryset=lambda user: VillageIncome.objects.visible_to(user).select_related(
        "village", "recorded_by"
    ),
    list_columns=["year", "village", "amount", "sources"],
    detail_fields=["village", "year", "amount", "sources", "recorded_by", "recorded_at"],
    title=lambda income: (
        _("%(village)s %(year)s 年集体经济收入")
        % {"village": income.village.name, "year": income.year}
    ),
    created_by_field="recorded_by",
    created_at_field="recorded_at",
    date_field="year",
    extra_initial=initial_village,
)

register_activity("income", INCOME_PAGES)


# --- the region tree and villages, kept by reviewers -----------------------------------------
TREE_PAGE_SIZE = 200
TREE_LEVELS = [
    RegionLevel.PROVINCE,
    RegionLevel.PREFECTURE,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
    RegionLevel.VILLAGE,
]


def regions_in_scope(user):
    return Region.objects.visible_to(user).select_related("parent")


def _region_initial(request) -> dict:
    """?parent=<code> starts a new region's code with its parent's (from the tree's 下级 link)."""
    code = request.GET.get("parent", "")
    return {"code": code} if code.isdigit() and len(code) <= 15 else {}


def _region_sections(request, region: Region) -> list[Section]:
    children = list(region.children.order_by("code")[:500])
    keeps = may_keep(request.user, "region")
    sections = [
        Section(
            title=_("下级区划"),
            headers=[_("名称"), _("区划代码"), _("层级")],
            rows=[
                (
                    [child.name, child.code, child.get_level_display()],
                    REGION_PAGES.url("detail", child.pk),
                )
                for child in children
            ],
            add_url=(
                REGION_PAGES.url("create") + f"?parent={region.code}"
                if keeps and region.level != RegionLevel.GROUP
                else None
            ),
            add_label=_("新增下级区划"),
            empty=_("没有下级区划。"),
        )
    ]
    village = Village.objects.filter(region=region).first()
    if village is not None:
        sections.append(
            Section(
                title=_("村的档案"),
                headers=[_("村名"), _("状态")],
                rows=[
                    (
                        [village.name, _village_state(village)],
                        VILLAGE_PAGES.url("detail", village.pk),
                    )
                ],
            )
        )
    return sections


class RegionPages(KeptPages):
    """The region pages; the list is the user's subtree as an indented tree (down to villages;
    village groups are on each village's page), searchable by name or code."""

    def list_view(self, request):
        user = request.user
        regions = Region.objects.visible_to(user).filter(level__in=TREE_LEVELS)
        query = (request.GET.get("q") or "").strip()[:50]
        if query:
            regions = regions.filter(Q(name__icontains=query) | Q(code__startswith=query))
        page = Paginator(
            regions.order_by("path").only("id", "code", "name", "level", "path"), TREE_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        root_depth = _depth(user.region.path) if user.region_id and user.region else 1
        rows = [
            {
                "region": region,
                "indent": max(0, _depth(region.path) - root_depth),
                # Ideographic spaces: the page's CSP allows no inline style.
                "pad": "\u3000" * max(0, _depth(region.path) - root_depth - 1),
                "url": self.url("detail", region.pk),
                "add_url": (
                    self.url("create") + f"?parent={region.code}"
                    if region.level != RegionLevel.VILLAGE
                    else None
                ),
            }
            for region in page.object_list
        ]
        return render(
            request,
            "villages/region_tree.html",
            self.base_context(
                request,
                page_obj=page,
                rows=rows,
                q=query,
                query=query_without_page(request),
                create_url=self.url("create") if self.creates(user) else None,
                import_url=reverse("ledgers:sheet_import", args=["regions"])
                if may_keep(user, "region")
                else None,
            ),
        )


def _depth(path: str) -> int:
    return len([part for part in path.split("/") if part])


REGION_PAGES = register_kept(
    RegionPages(
        kind="region",
        model=Region,
        form_class=RegionForm,
        namespace="villages",
        name="region",
        label=gettext_lazy("行政区划"),
        record=region_record,
        update=region_update,
        delete=region_delete,
        instance_kw="region",
        queryset=regions_in_scope,
        list_columns=["name", "code", "level"],
        detail_fields=[
            "code",
            "name",
            "level",
            "parent",
            "is_poverty_county",
            "planned_delist_year",
            "delisted_year",
        ],
        title=lambda region: f"{region.name}（{region.code}）",
        sections=_region_sections,
        extra_initial=_region_initial,
        ordering=["path"],
        group=gettext_lazy("区划与村"),
        intro=gettext_lazy(
            "本级以下的乡镇、村的区划树；层级和上级由统计用区划代码确定。可从 Excel 批量导入。"
        ),
    )
)


def _village_state(village: Village) -> str:
    if village.ended_on:
        return _("已于 %(day)s 撤销") % {"day": village.ended_on.isoformat()}
    return _("在册")


def _village_sections(request, village: Village) -> list[Section]:
    incomes = list(village.incomes.order_by("-year")[:20])
    return [
        Section(
            title=_("村集体经济收入"),
            headers=[_("年度"), _("集体经济收入（元）"), _("收入来源")],
            rows=[
                (
                    [str(income.year), f"{income.amount:,.2f}", income.sources or "—"],
                    reverse("villages:income_detail", args=[income.pk]),
                )
                for income in incomes
            ],
            add_url=reverse("villages:income_create") + f"?village={village.pk}",
            add_label=_("填报集体经济收入"),
        ),
        Section(
            title=_("区划"),
            headers=[_("名称"), _("区划代码")],
            rows=[
                (
                    [village.region.name, village.region.code],
                    REGION_PAGES.url("detail", village.region_id),
                ),
                ([_("村的工作页面"), ""], reverse("villages:detail", args=[village.pk])),
            ],
        ),
    ]


def villages_kept_queryset(user):
    return Village.objects.visible_to(user).select_related("region", "township", "county")


VILLAGE_PAGES = register_kept(
    KeptPages(
        kind="village",
        model=Village,
        form_class=VillageForm,
        namespace="villages",
        name="village",
        label=gettext_lazy("村"),
        record=village_record,
        update=village_update,
        end=village_end,
        end_reason=True,
        end_label=gettext_lazy("撤销"),
        delete=village_delete,
        instance_kw="village",
        queryset=villages_kept_queryset,
        list_columns=[
            "name",
            Column(gettext_lazy("区划代码"), lambda v: v.region.code),
            "township",
            "is_poor_village",
            "planned_exit_year",
            "exit_year",
            Column(gettext_lazy("状态"), _village_state),
        ],
        detail_fields=[
            "name",
            "township",
            "county",
            "is_poor_village",
            "is_difficult_village",
            "planned_exit_year",
            "exit_year",
            "branch_name",
            "branch_secretary",
            "venue_area_m2",
            "leading_industries",
            "infrastructure_notes",
            "population",
            "latitude",
            "longitude",
            "ended_on",
            "end_reason",
        ],
        title=lambda village: village.name,
        filterset=KeptVillageFilter,
        sections=_village_sections,
        ordering=["path", "id"],
        group=gettext_lazy("区划与村"),
        intro=gettext_lazy(
            "村的基本情况（贫困村、退出、村党组织、阵地、产业）；有记录引用的村不能删除，只能撤销。"
        ),
    )
)
