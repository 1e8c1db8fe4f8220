"""Request-wide security duties: remember the request for the security log's model signals, and
send a user who must change their password to the page that does it before anything else."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.services import current_request


def password_change_due(user) -> bool:
    """True when an administrator created or reset the account (must_change_password), or the
    password is older than PASSWORD_MAX_AGE_DAYS (0 turns the age rule off)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.must_change_password:
        return True
    max_age = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0)
    if max_age and user.password_changed_at is not None:
        return timezone.now() - user.password_changed_at > datetime.timedelta(days=max_age)
    return False


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            blocked = self._password_gate(request)
            return blocked if blocked is not None else self.get_response(request)
        finally:
            current_request.reset(token)

    @staticmethod
    def _password_gate(request):
        if not password_change_due(getattr(request, "user", None)):
            return None
        change_url = reverse("accounts:password_change")
        open_paths = (
            change_url,
            reverse("accounts:logout"),
            reverse("accounts:login"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        if request.path.startswith(open_paths):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("请先修改密码后再使用系统。")}, status=403)
        return HttpResponseRedirect(f"{change_url}?{urlencode({'next': request.get_full_path()})}")
