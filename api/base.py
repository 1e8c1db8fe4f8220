"""What every endpoint of /api/v1/ shares: authentication (token first, so an anonymous call is
answered 401 with `WWW-Authenticate: Token`), scope (`Model.objects.visible_to(user)`, so an
object outside it is 404), pagination with a bounded page size, refusal of unknown fields and
oversized bodies, and the schema's error responses and Chinese descriptions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.authentication import ApiTokenAuthentication
from api.exceptions import Conflict, PayloadTooLarge, from_django_validation_error
from api.filters import INTEGER
from api.parsers import SafeJSONParser
from api.permissions import EntersWork
from config.db_router import reads_from_replica

# A visit may carry at most this many photos in one request (the size of each is checked by
# the visit service against UPLOAD_MAX_BYTES).
MAX_PHOTOS_PER_VISIT = 6

# Fields a browser form adds to a multipart or urlencoded body (the browsable API's forms).
FORM_NOISE = {"csrfmiddlewaretoken"}


# --- errors in the schema -----------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text=gettext_lazy("HTTP 状态码。"))
    code = serializers.CharField(
        help_text=gettext_lazy(
            "错误代码：invalid（数据有误）、duplicate（重复）、not_found、not_authenticated、"
            "authentication_failed、permission_denied、too_large、unsupported_media_type 等。"
        )
    )
    detail = serializers.CharField(help_text=gettext_lazy("给人看的说明。"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy(
            "字段名 → 错误信息列表；与整体有关的错误在 non_field_errors 下；无字段错误时为空。"
        ),
    )


ERROR_DESCRIPTIONS = {
    "400": gettext_lazy("数据有误（字段错误见 errors）"),
    "401": gettext_lazy("未登录或令牌无效"),
    "403": gettext_lazy("角色无权进行此操作"),
    "404": gettext_lazy("不存在或不在您的管辖范围内"),
    "405": gettext_lazy("不支持此方法"),
    "409": gettext_lazy("记录已存在（重复提交）"),
    "413": gettext_lazy("请求内容过大"),
    "415": gettext_lazy("不支持的内容类型"),
    "429": gettext_lazy("请求过于频繁，请稍后再试（见 Retry-After）"),
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation can give, and reads the Chinese tag and
    summaries from the view (`schema_tag`, `summaries`, `descriptions`)."""

    def get_tags(self):
        tag = getattr(self.view, "schema_tag", None)
        return [str(tag)] if tag else super().get_tags()

    def _action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def get_summary(self):
        summaries = getattr(self.view, "summaries", {})
        summary = summaries.get(self._action())
        return str(summary) if summary else super().get_summary()

    def get_description(self):
        descriptions = getattr(self.view, "descriptions", {})
        description = descriptions.get(self._action())
        return str(description) if description else super().get_description()

    def get_request_serializer(self):
        write = getattr(self.view, "write_serializer_classes", {}).get(self._action())
        return write or super().get_request_serializer()

    def get_response_serializers(self):
        if self._action() in getattr(self.view, "write_serializer_classes", {}):
            return self.view.serializer_class
        return super().get_response_serializers()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409", "413", "415"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code
                )
        return responses


# --- serializers --------------------------------------------------------------------------


class StrictFieldsMixin:
    """A write body naming a field the endpoint does not take is refused (400), instead of the
    field being silently dropped: a program with a typo learns it at once."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - writable - FORM_NOISE)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("未知字段，此接口不接受该字段。")] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


# --- views --------------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """`page` (from 1; a page past the end is a 404) and `page_size` (1 to 200, default 50). A
    page size that is no integer or out of range is a 400, as the schema says, rather than
    silently the default."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not INTEGER.match(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        _("每页条数应为 1 至 %(max)d 的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    last_page_strings = ()  # `page` is an integer, as the schema says

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not INTEGER.match(raw) or int(raw) < 1:
            raise serializers.ValidationError(
                {self.page_query_param: [_("页码应为从 1 起的整数。")]}
            )
        return int(raw)  # a page past the end is a 404 (NotFound from paginate_queryset)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


class ApiViewMixin:
    """Base of every viewset. `model` names the model; `get_queryset` starts from its scope."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    # JSON only, whatever the Accept header: the browsable documentation is /api/v1/docs/, and
    # DRF's HTML forms would list every household in scope in a <select>.
    renderer_classes = [JSONRenderer]
    # DRF's parsers, with JSON nesting bounded (api/parsers.py): never a RecursionError.
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
    pagination_class = ApiPagination
    schema = ApiAutoSchema()
    # Ids are numbers: anything else in the id's place is an unknown address (JSON 404).
    lookup_value_regex = "[0-9]{1,18}"
    model = None
    schema_tag = None
    summaries: dict = {}
    descriptions: dict = {}

    def scoped(self):
        return self.model.objects.visible_to(self.request.user)

    def optimise(self, queryset):
        """select_related / prefetch_related / annotations for the serializer."""
        return queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.model.objects.none()
        return self.optimise(self.scoped())

    def list(self, request, *args, **kwargs):
        # The large lists read from the read replica when there is one (config/db_router.py;
        # a caller who wrote within the last seconds reads the primary).
        with reads_from_replica(user=request.user):
            return super().list(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication: an anonymous caller learns 401 before anything about sizes.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (request.content_type or "").startswith("multipart/"):
            limit += MAX_PHOTOS_PER_VISIT * settings.UPLOAD_MAX_BYTES
        if length > limit:
            raise PayloadTooLarge(
                _("请求内容过大（%(got)d 字节），上限为 %(limit)d 字节。")
                % {"got": length, "limit": limit}
            )


def saving(write):
    """Run a write in one transaction. A rule of the database that still refuses it (a race
    the service's own check lost) is a 409 for a unique rule and a 400 otherwise, never a 500."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise Conflict() from exc
        raise serializers.ValidationError(
            {"non_field_errors": [_("数据不符合规则，未保存。")]}
        ) from exc


class ScopedReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


class EntryViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A list of entered records whose writes go through the entity's services:
    `record(user=…, **fields)`, `update(user=…, <instance_kw>=obj, **changes)` within the edit
    window, `delete(user=…, <instance_kw>=obj)`. The service raises ValidationError (400, or 409
    when `is_duplicate` finds the row the body collides with), Http404 (outside scope) and
    PermissionDenied (role, edit window: 403)."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, EntersWork]
    write_serializer_class = None
    instance_kw = ""
    services: dict = {}  # {"record": fn, "update": fn, "delete": fn}

    @property
    def write_serializer_classes(self):
        return {
            "create": self.write_serializer_class,
            "partial_update": self.write_serializer_class,
        }

    def is_duplicate(self, data: dict, instance=None) -> bool:
        """Whether the body collides with an existing row (then the refusal is a 409)."""
        return False

    def parse(self, request, *, partial: bool = False) -> dict:
        serializer_class = self.write_serializer_classes.get(
            self.action, self.write_serializer_class
        )
        serializer = serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def write(self, call, data: dict, instance=None):
        try:
            return saving(call)
        except DjangoValidationError as exc:
            if self.is_duplicate(data, instance):
                raise Conflict(from_django_validation_error(exc).detail) from exc
            raise

    def reread(self, obj):
        """The written row as the list shows it (names and all), in a fixed number of queries."""
        return self.get_queryset().filter(pk=obj.pk).first() or obj

    def create(self, request, *args, **kwargs):
        data = self.parse(request)
        obj = self.write(lambda: self.services["record"](user=request.user, **data), data)
        return Response(self.get_serializer(self.reread(obj)).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.parse(request, partial=True)
        obj = self.write(
            lambda: self.services["update"](
                user=request.user, **{self.instance_kw: instance}, **data
            ),
            data,
            instance,
        )
        return Response(self.get_serializer(self.reread(obj)).data)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        saving(lambda: self.services["delete"](user=request.user, **{self.instance_kw: instance}))
        return Response(status=204)


class EndSerializer(StrictSerializer):
    day = serializers.DateField(help_text=gettext_lazy("结束日期。"))
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=gettext_lazy("原因。")
    )


class KeptViewSet(EntryViewSet):
    """A kept structure record (a unit, an organisation, a pairing, a cadre, a term …): writes
    through the same services as the pages, which enforce the keeper's role (core.keepers, 403)
    and scope (404). `services` may also name "end" (`POST …/{id}/end/` with a day, for records
    that others refer to) and "delete" (DELETE, refused with 400 while records refer to it)."""

    permission_classes = [IsAuthenticated]
    end_takes_reason = False

    def destroy(self, request, *args, **kwargs):
        if "delete" not in self.services:
            raise MethodNotAllowed(request.method)
        return super().destroy(request, *args, **kwargs)

    def end_record(self, request, pk=None):
        if "end" not in self.services:
            raise MethodNotAllowed(request.method)
        instance = self.get_object()
        serializer = EndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not self.end_takes_reason:
            data.pop("reason", None)
        obj = saving(
            lambda: self.services["end"](user=request.user, **{self.instance_kw: instance}, **data)
        )
        return Response(self.get_serializer(self.reread(obj)).data)
