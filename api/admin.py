"""Token issue and revocation in the Django admin (系统管理 › 令牌): both go through
api/services.py so that each is written to the security log with who did it."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from api.services import token_issue, token_revoke

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_display = ("masked_key", "user", "created")

    @admin.display(description=_("令牌"))
    def masked_key(self, obj):
        return f"{obj.key[:4]}…{obj.key[-4:]}"

    def save_model(self, request, obj, form, change):
        token = token_issue(user=obj.user, by=request.user, request=request)
        obj.key, obj.created = token.key, token.created
        self.message_user(
            request,
            _("已为 %(user)s 签发接口令牌：%(key)s（只显示这一次，请妥善转交；原令牌已失效）。")
            % {"user": obj.user.get_username(), "key": token.key},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        token_revoke(user=obj.user, by=request.user, request=request)
