"""Every error of the API is one JSON shape, whatever raised it:

    {"status": 400, "code": "invalid", "detail": "提交的数据有误。",
     "errors": {"visited_on": ["走访日期不能晚于今天。"]}}

`errors` maps a field name (dotted for nested fields, `non_field_errors` for the whole body) to
its messages; it is empty for errors that concern no field. Programs branch on `status` and
`code`; people read `detail` and the field messages. Messages are Chinese by default and
English with `Accept-Language: en` (DRF's and Django's own catalogues, the project's
locale/en for the services' messages, api/locale/en for this app's).

The services raise Django's exceptions (ValidationError with a field dict, Http404,
PermissionDenied); they are mapped here so no view needs a try block for them.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("api")


class Conflict(exceptions.APIException):
    """The row already exists (a unique rule of the database or the service)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("记录已存在，不能重复提交。")
    default_code = "duplicate"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("请求内容过大。")
    default_code = "too_large"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"field.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                name = f"{prefix}.{index}" if prefix else str(index)
                for k, v in _flatten(value, name).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(prefix or "non_field_errors", []).append(str(value))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _first_code(detail) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            code = _first_code(value)
            if code:
                return code
    elif isinstance(detail, list):
        for value in detail:
            code = _first_code(value)
            if code:
                return code
    else:
        return getattr(detail, "code", None)
    return None


def from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError (a field dict, or plain messages) as DRF's."""
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def error_body(
    status_code: int, code: str, detail: str, errors: dict[str, list[str]] | None = None
) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}}


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: the one JSON shape above for every error."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ValidationError({"non_field_errors": [_("提交的字段过多。")]})
    elif isinstance(exc, DjangoValidationError):
        exc = from_django_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ParseError):
        # DRF's parser message ("JSON parse error - …") has no Chinese translation; say it in
        # the user's language and keep the parser's detail (position of the fault) after it.
        exc = exceptions.ParseError(
            _("请求内容无法解析，请检查 JSON 或表单格式：%(detail)s") % {"detail": exc.detail}
        )
    elif isinstance(exc, PermissionDenied):
        # The services say why in Chinese ("已超过修改期限…"); keep their words.
        message = str(exc.args[0]) if exc.args and exc.args[0] else None
        exc = exceptions.PermissionDenied(message)

    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected error: logged with its traceback, answered as JSON, nothing committed.
        logger.exception("API error", exc_info=exc)
        set_rollback()
        return JsonResponse(
            error_body(500, "server_error", _("服务器内部错误，请稍后重试。")), status=500
        )

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        code = _first_code(exc.detail) or "invalid"
        if code in ("unique", "duplicate"):
            response.status_code = status.HTTP_409_CONFLICT
            code, detail = "duplicate", str(Conflict.default_detail)
        else:
            code, detail = "invalid", _("提交的数据有误，请按字段提示修改。")
    elif isinstance(exc.detail, (dict, list)):
        # Conflict carries the service's field messages.
        errors = _flatten(exc.detail)
        code, detail = exc.default_code, str(exc.default_detail)
    else:
        code = getattr(exc.detail, "code", None) or exc.default_code
        detail = str(exc.detail)
        # A body that cannot be read at all (malformed JSON, a bad multipart) is still answered
        # with a message a form can show next to the whole body.
        errors = {"non_field_errors": [detail]} if response.status_code == 400 else {}
    response.data = error_body(response.status_code, code, detail, errors)
    return response


# --- Django's own errors under /api/ ----------------------------------------------------------


@csrf_exempt  # a POST to an unknown address is a 404 too, not a CSRF page
def api_not_found(request, *args, **kwargs):
    """Catch-all at the end of api/urls.py: an unknown address under /api/v1/ is JSON too."""
    return JsonResponse(
        error_body(404, "not_found", _("接口地址不存在。")),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
