"""Days in the field, trainings, meetings, fixed Party days and study trips. Every write calls
the service the page form calls (cadres/services.py, pairing/services.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from api import filters
from api.base import EntryViewSet
from api.serializers import activities as s
from cadres import services as cadre_services
from cadres.models import FieldDay
from core.permissions import entry_author_cadre
from pairing import services as pairing_services
from pairing.models import Meeting, PartyDay, StudyTrip, Training

EDIT_RULE = _(
    "与网页表单调用同一服务：对象须在您的管辖范围内（否则按不存在处理），日期不能晚于今天；"
    "修改和删除须在填报后 7 天内由填报人进行，之后只有审核人员可以。"
)


def _summaries(noun):
    return {
        "list": _("%(noun)s列表") % {"noun": noun},
        "retrieve": _("%(noun)s详情") % {"noun": noun},
        "create": _("填报%(noun)s") % {"noun": noun},
        "partial_update": _("修改%(noun)s") % {"noun": noun},
        "destroy": _("删除%(noun)s") % {"noun": noun},
    }


def _descriptions(extra=""):
    return {"create": f"{EDIT_RULE}{extra}", "partial_update": EDIT_RULE, "destroy": EDIT_RULE}


class FieldDayViewSet(EntryViewSet):
    """驻村 / 下乡在岗天数：干部或包联领导某天在某村或乡镇。驻村干部账户只看到和填报自己的。"""

    model = FieldDay
    serializer_class = s.FieldDaySerializer
    write_serializer_class = s.FieldDayWriteSerializer
    filterset_class = filters.FieldDayFilter
    ordering_fields = ["day", "id"]
    ordering = ["-day", "-id"]
    instance_kw = "field_day"
    services = {
        "record": cadre_services.field_day_record,
        "update": cadre_services.field_day_update,
        "delete": cadre_services.field_day_delete,
    }
    schema_tag = _("在岗天数与活动")
    summaries = _summaries(_("在岗天数"))
    descriptions = _descriptions(_("同一干部同一天只能登记一次，重复登记返回 409。"))

    def optimise(self, queryset):
        return queryset.select_related("cadre", "region")

    def is_duplicate(self, data, instance=None):
        user = self.request.user
        cadre = entry_author_cadre(user, data.get("cadre"))
        cadre_id = cadre.pk if cadre is not None else getattr(instance, "cadre_id", None)
        day = data.get("day", getattr(instance, "day", None))
        rows = FieldDay.objects.filter(cadre_id=cadre_id, day=day)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return cadre_id is not None and rows.exists()


class TrainingViewSet(EntryViewSet):
    """培训：农民夜校、村两委培训、技术人员和致富带头人培训、村干部年度轮训。"""

    model = Training
    serializer_class = s.TrainingSerializer
    write_serializer_class = s.TrainingWriteSerializer
    filterset_class = filters.TrainingFilter
    ordering_fields = ["held_on", "id"]
    ordering = ["-held_on", "-id"]
    instance_kw = "training"
    services = {
        "record": pairing_services.training_record,
        "update": pairing_services.training_update,
        "delete": pairing_services.training_delete,
    }
    schema_tag = _("在岗天数与活动")
    summaries = _summaries(_("培训"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("village", "unit")


class MeetingViewSet(EntryViewSet):
    """会议与调研：联席会议、专题会议、调研督导、三会一课、主题党日。"""

    model = Meeting
    serializer_class = s.MeetingSerializer
    write_serializer_class = s.MeetingWriteSerializer
    filterset_class = filters.MeetingFilter
    ordering_fields = ["held_on", "id"]
    ordering = ["-held_on", "-id"]
    instance_kw = "meeting"
    services = {
        "record": pairing_services.meeting_record,
        "update": pairing_services.meeting_update,
        "delete": pairing_services.meeting_delete,
    }
    schema_tag = _("在岗天数与活动")
    summaries = _summaries(_("会议与调研"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("village", "unit")


class PartyDayViewSet(EntryViewSet):
    """固定党日（每月第一个星期五）。"""

    model = PartyDay
    serializer_class = s.PartyDaySerializer
    write_serializer_class = s.PartyDayWriteSerializer
    filterset_class = filters.PartyDayFilter
    ordering_fields = ["held_on", "id"]
    ordering = ["-held_on", "-id"]
    instance_kw = "party_day"
    services = {
        "record": pairing_services.party_day_record,
        "update": pairing_services.party_day_update,
        "delete": pairing_services.party_day_delete,
    }
    schema_tag = _("在岗天数与活动")
    summaries = _summaries(_("固定党日"))
    descriptions = _descriptions(_("同一村同一天只能登记一次，重复登记返回 409。"))

    def optimise(self, queryset):
        return queryset.select_related("village")

    def is_duplicate(self, data, instance=None):
        village = data.get("village")
        village_id = village.pk if village is not None else getattr(instance, "village_id", None)
        held_on = data.get("held_on", getattr(instance, "held_on", None))
        rows = PartyDay.objects.filter(village_id=village_id, held_on=held_on)
        if instance is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.exists()


class StudyTripViewSet(EntryViewSet):
    """外出学习考察。"""

    model = StudyTrip
    serializer_class = s.StudyTripSerializer
    write_serializer_class = s.StudyTripWriteSerializer
    filterset_class = filters.StudyTripFilter
    ordering_fields = ["started_on", "id"]
    ordering = ["-started_on", "-id"]
    instance_kw = "study_trip"
    services = {
        "record": pairing_services.study_trip_record,
        "update": pairing_services.study_trip_update,
        "delete": pairing_services.study_trip_delete,
    }
    schema_tag = _("在岗天数与活动")
    summaries = _summaries(_("外出学习考察"))
    descriptions = _descriptions()

    def optimise(self, queryset):
        return queryset.select_related("village", "unit")
