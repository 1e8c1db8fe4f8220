"""Token authentication of the API (`Authorization: Token <key>`), stricter than DRF's own:

- a token works for API_TOKEN_LIFETIME_DAYS (90) days from its issue (api.services);
  an expired one is refused, and its use is logged (folded per user and hour);
- a user made inactive, or held by the login lockout (django-axes), is refused while that
  lasts: the lockout stops the password and the token alike.

Every refusal is a 401 in the API's JSON error shape (api/exceptions.py), in Chinese."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import SecurityEvent
from accounts.selectors import lockout_attempts, lockout_enabled
from accounts.services import security_event_fold
from api.services import token_expires_at, token_is_expired


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        # One query, as DRF's own: the lockout is read in the same statement.
        locked = (
            Exists(lockout_attempts(OuterRef("user__username")))
            if lockout_enabled()
            else Value(False)
        )
        token = (
            model.objects.select_related("user")
            .annotate(user_locked_out=locked)
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效，请检查 Authorization 请求头。"))
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("该账户已停用，令牌不能使用。"))
        if token_is_expired(token):
            expired = timezone.localtime(token_expires_at(token))
            security_event_fold(
                kind=SecurityEvent.Kind.TOKEN_EXPIRED,
                user=user,
                detail={"expired_at": expired.isoformat(), "token": f"{key[:4]}…{key[-4:]}"},
            )
            raise exceptions.AuthenticationFailed(
                _("令牌已于 %(when)s 过期，请联系系统管理员重新签发。")
                % {"when": f"{expired:%Y-%m-%d %H:%M}"}
            )
        if token.user_locked_out:
            raise exceptions.AuthenticationFailed(
                _("该账户因多次登录失败已被锁定，锁定期间令牌不能使用；请联系系统管理员解除锁定。")
            )
        return (user, token)
