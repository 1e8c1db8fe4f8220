"""Token issue and revocation in the Django admin (系统管理 › 令牌): both go through
api/services.py so that each is written to the security log with who did it. The list and the
issue message show when each token expires (API_TOKEN_LIFETIME_DAYS after its issue)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from api.services import token_expires_at, token_is_expired, token_issue, token_revoke

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_display = ("masked_key", "user", "created", "expires_at")

    @admin.display(description=_("令牌"))
    def masked_key(self, obj):
        return f"{obj.key[:4]}…{obj.key[-4:]}"

    @admin.display(description=_("有效期至"))
    def expires_at(self, obj):
        when = f"{timezone.localtime(token_expires_at(obj)):%Y-%m-%d %H:%M}"
        return _("%(when)s（已过期）") % {"when": when} if token_is_expired(obj) else when

    def save_model(self, request, obj, form, change):
        token = token_issue(user=obj.user, by=request.user, request=request)
        obj.key, obj.created = token.key, token.created
        self.message_user(
            request,
            _(
                "已为 %(user)s 签发接口令牌：%(key)s（只显示这一次，请妥善转交；原令牌已失效）。"
                "有效期至 %(expires)s。"
            )
            % {
                "user": obj.user.get_username(),
                "key": token.key,
                "expires": f"{timezone.localtime(token_expires_at(token)):%Y-%m-%d %H:%M}",
            },
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        token_revoke(user=obj.user, by=request.user, request=request)
