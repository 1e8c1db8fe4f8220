"""Duplicate households through the API (issue 16): the findings of households/duplicates.py,
merging (with a dry run) and undoing through households/merge.py, the services the 重复户 pages
call. County reviewers only (403 for other roles), both households in scope (404), refusals as
JSON with field messages (400)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import saving
from core.keepers import may_keep
from households import duplicates, merge
from households.models import Household, HouseholdMerge

TAG = gettext_lazy("重复户")


def _require(user) -> None:
    if not may_keep(user, merge.KEEPER_KIND):
        raise PermissionDenied(_("只有县级审核人员可以查看和合并重复户。"))


class DuplicateSideSerializer(serializers.Serializer):
    household = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("户编号；不在您管辖范围内时为空。")
    )
    label = serializers.CharField(
        help_text=gettext_lazy("在管辖范围内为“乡镇村 户主户”，否则只说明登记地（县、乡镇）。")
    )
    members = serializers.IntegerField()
    visits = serializers.IntegerField()
    incomes = serializers.IntegerField()


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(k, str(v)) for k, v in duplicates.KIND_LABELS.items()],
        help_text=gettext_lazy(
            "id_number：同一身份证号登记在两户；name_birth：不同村户主同名同生日；phone：户主电话相同。"
        ),
    )
    label = serializers.CharField()
    key = serializers.CharField(help_text=gettext_lazy("相同的信息（身份证号、电话脱敏）。"))
    first = DuplicateSideSerializer()
    second = DuplicateSideSerializer()
    mergeable = serializers.BooleanField(help_text=gettext_lazy("两户都在您的管辖范围内。"))


def _side(side: duplicates.Side) -> dict:
    return {
        "household": side.household.pk if side.inside else None,
        "label": side.named.text,
        "members": len(side.members),
        "visits": side.visits,
        "incomes": side.incomes,
    }


class DuplicateListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("疑似重复户列表"),
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                enum=list(duplicates.KINDS),
                required=False,
                description=gettext_lazy("只列出一类。"),
            )
        ],
        responses=FindingSerializer(many=True),
    )
    def get(self, request):
        _require(request.user)
        kind = request.query_params.get("kind")
        if kind and kind not in duplicates.KINDS:
            raise serializers.ValidationError({"kind": [_("没有这一类重复。")]})
        found = duplicates.findings(request.user, [kind] if kind else duplicates.KINDS)
        sides = duplicates.sides(request.user, {i for f in found for i in (f.first, f.second)})
        return Response(
            [
                {
                    "kind": f.kind,
                    "label": f.label,
                    "key": f.key,
                    "first": _side(sides[f.first]),
                    "second": _side(sides[f.second]),
                    "mergeable": sides[f.first].inside and sides[f.second].inside,
                }
                for f in found
            ]
        )


class MergeRequestSerializer(serializers.Serializer):
    kept = serializers.IntegerField(help_text=gettext_lazy("保留的户编号。"))
    other = serializers.IntegerField(help_text=gettext_lazy("并入后注销的户编号。"))
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("合并理由（合并时必填）。"),
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("true：只列出将移动和保留的记录，不写入。"),
    )


class MergePartSerializer(serializers.Serializer):
    records = serializers.CharField()
    moving = serializers.IntegerField()
    staying = serializers.IntegerField()
    why_staying = serializers.CharField(allow_blank=True)


class MergeSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("试算时为空。"))
    kept = serializers.IntegerField()
    other = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)
    merged_at = serializers.DateTimeField(allow_null=True)
    undone_at = serializers.DateTimeField(allow_null=True)
    parts = MergePartSerializer(many=True)
    refusals = serializers.ListField(child=serializers.CharField())


def _parts(summary) -> list[dict]:
    return [
        {
            "records": name,
            "moving": moving,
            "staying": staying,
            "why_staying": why if staying else "",
        }
        for name, moving, staying, why in summary
    ]


def _merge_row(row: HouseholdMerge) -> dict:
    from django.apps import apps

    parts = []
    for label, moved in row.moved.items():
        stayed = row.stayed.get(label, [])
        if moved or stayed:
            parts.append(
                {
                    "records": str(apps.get_model(label)._meta.verbose_name),
                    "moving": len(moved),
                    "staying": len(stayed),
                    "why_staying": "",
                }
            )
    return {
        "id": row.pk,
        "kept": row.kept_id,
        "other": row.other_id,
        "reason": row.reason,
        "merged_at": row.merged_at,
        "undone_at": row.undone_at,
        "parts": parts,
        "refusals": [],
    }


def _household(user, pk: int) -> Household:
    household = Household.objects.visible_to(user).filter(pk=pk).first()
    if household is None:
        raise Http404
    return household


class MergeListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG], summary=gettext_lazy("合并记录"), responses=MergeSerializer(many=True)
    )
    def get(self, request):
        _require(request.user)
        return Response([_merge_row(row) for row in merge.merges_for(request.user)[:500]])

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("合并两户（dry_run 试算）"),
        request=MergeRequestSerializer,
        responses={200: MergeSerializer, 201: MergeSerializer},
    )
    def post(self, request):
        user = request.user
        _require(user)
        body = MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kept, other = _household(user, data["kept"]), _household(user, data["other"])
        if data["dry_run"]:
            plan = merge.merge_plan(user, kept, other)
            return Response(
                {
                    "id": None,
                    "kept": kept.pk,
                    "other": other.pk,
                    "reason": data.get("reason", ""),
                    "merged_at": None,
                    "undone_at": None,
                    "parts": _parts(plan.summary()),
                    "refusals": plan.refusals,
                }
            )
        row = saving(lambda: merge.merge_households(user, kept, other, data.get("reason", "")))
        return Response(_merge_row(row), status=status.HTTP_201_CREATED)


class MergeUndoView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG], summary=gettext_lazy("撤销合并"), request=None, responses=MergeSerializer
    )
    def post(self, request, pk: int):
        user = request.user
        _require(user)
        row = HouseholdMerge.objects.visible_to(user).filter(pk=pk).first()
        if row is None:
            raise Http404
        row = saving(lambda: merge.undo_merge(user, row))
        return Response(_merge_row(row))
