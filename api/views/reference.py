"""Regions, villages and their collective income, units, Party organisations, pairings, cadres
and work teams."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from api import filters
from api.base import EntryViewSet, ScopedReadOnlyViewSet
from api.serializers import reference as s
from cadres.models import Cadre, WorkTeam, WorkTeamMember
from pairing.models import Pairing, PartyOrganisation, Unit
from villages import services as village_services
from villages.models import Region, Village, VillageIncome

LIST = _("列表（分页，按管辖范围）")
DETAIL = _("详情；不在管辖范围内为 404")


class RegionViewSet(ScopedReadOnlyViewSet):
    """行政区划：省、市、县、乡镇、村、村民小组。只列出您管辖区划及其下级。"""

    model = Region
    serializer_class = s.RegionSerializer
    filterset_class = filters.RegionFilter
    ordering_fields = ["code", "name", "level"]
    ordering = ["code"]
    schema_tag = _("区划与村")
    summaries = {"list": _("行政区划列表"), "retrieve": _("行政区划详情")}

    def optimise(self, queryset):
        return queryset.select_related("parent")


class VillageViewSet(ScopedReadOnlyViewSet):
    """行政村及其基本情况，含按年度的村集体经济收入（incomes）。"""

    model = Village
    serializer_class = s.VillageSerializer
    filterset_class = filters.VillageFilter
    ordering_fields = ["path", "name", "id"]
    ordering = ["path", "id"]
    schema_tag = _("区划与村")
    summaries = {"list": _("村列表（含集体经济收入）"), "retrieve": _("村详情")}

    def optimise(self, queryset):
        return queryset.select_related("region", "township", "county").prefetch_related(
            Prefetch("incomes", queryset=VillageIncome.objects.order_by("-year"))
        )


class VillageIncomeViewSet(EntryViewSet):
    """村集体经济收入（元），每村每年一条。新增、修改与网页表单调用同一服务：同一村同一年度
    重复填报返回 409；修改须在填报后 7 天内（审核人员不限）。"""

    model = VillageIncome
    serializer_class = s.VillageIncomeSerializer
    write_serializer_class = s.VillageIncomeWriteSerializer
    filterset_class = filters.VillageIncomeFilter
    ordering_fields = ["year", "amount", "id"]
    ordering = ["-year", "id"]
    instance_kw = "income"
    services = {
        "record": village_services.village_income_record,
        "update": village_services.village_income_update,
        "delete": village_services.village_income_delete,
    }
    schema_tag = _("区划与村")
    summaries = {
        "list": _("村集体经济收入列表"),
        "retrieve": _("村集体经济收入详情"),
        "create": _("填报村集体经济收入"),
        "partial_update": _("修改村集体经济收入"),
        "destroy": _("删除村集体经济收入"),
    }

    @property
    def write_serializer_classes(self):
        return {
            "create": s.VillageIncomeWriteSerializer,
            "partial_update": s.VillageIncomeUpdateSerializer,
        }

    def is_duplicate(self, data, instance=None):
        village_id = data["village"].pk if "village" in data else instance.village_id
        year = data.get("year", getattr(instance, "year", None))
        rows = VillageIncome.objects.filter(village_id=village_id, year=year)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.exists()

    def optimise(self, queryset):
        return queryset.select_related("village")


class UnitViewSet(ScopedReadOnlyViewSet):
    """帮扶单位（企业、机关、高校、医院、金融机构等）：您管辖区划内的，或与您管辖的村结对的。"""

    model = Unit
    serializer_class = s.UnitSerializer
    filterset_class = filters.UnitFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    schema_tag = _("单位与结对")
    summaries = {"list": _("帮扶单位列表"), "retrieve": _("帮扶单位详情")}


class PartyOrganisationViewSet(ScopedReadOnlyViewSet):
    """党组织：单位的党委、党总支、党支部、党组，以及村党支部。"""

    model = PartyOrganisation
    serializer_class = s.PartyOrganisationSerializer
    filterset_class = filters.PartyOrganisationFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    schema_tag = _("单位与结对")
    summaries = {"list": _("党组织列表"), "retrieve": _("党组织详情")}

    def optimise(self, queryset):
        return queryset.select_related("unit", "village")


class PairingViewSet(ScopedReadOnlyViewSet):
    """结对共建、1+1+1+N 党建扶贫与定点帮扶。"""

    model = Pairing
    serializer_class = s.PairingSerializer
    filterset_class = filters.PairingFilter
    ordering_fields = ["start_date", "name", "id"]
    ordering = ["-start_date", "id"]
    schema_tag = _("单位与结对")
    summaries = {"list": _("结对列表"), "retrieve": _("结对详情")}

    def optimise(self, queryset):
        return queryset.select_related("lead_unit", "village").prefetch_related("participants")


class CadreViewSet(ScopedReadOnlyViewSet):
    """干部：驻村干部、第一书记、帮扶责任人、包联领导、下派人才。不含身份证号。"""

    model = Cadre
    serializer_class = s.CadreSerializer
    filterset_class = filters.CadreFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    schema_tag = _("干部")
    summaries = {"list": _("干部列表"), "retrieve": _("干部详情")}

    def optimise(self, queryset):
        return queryset.select_related("unit", "home_region")


class WorkTeamViewSet(ScopedReadOnlyViewSet):
    """驻村工作队及其成员和所驻村。"""

    model = WorkTeam
    serializer_class = s.WorkTeamSerializer
    filterset_class = filters.WorkTeamFilter
    ordering_fields = ["name", "start_date", "id"]
    ordering = ["name", "id"]
    schema_tag = _("干部")
    summaries = {"list": _("驻村工作队列表"), "retrieve": _("驻村工作队详情")}

    def optimise(self, queryset):
        return queryset.select_related("dispatching_unit").prefetch_related(
            Prefetch("members", queryset=WorkTeamMember.objects.select_related("cadre")),
            "villages",
        )
