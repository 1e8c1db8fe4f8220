"""Role checks of the API. They only decide who may try a write at all (403 before the body is
read); scope and the edit window are the services' to decide, the same for pages and API."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

WRITE_ACTIONS = {"create"}
CHANGE_ACTIONS = {"partial_update", "update", "destroy"}


class EntersWork(BasePermission):
    """Creating entries is for roles that enter work (township staff, cadres, administrators);
    changing or deleting them also for reviewers (after the edit window, only they may)."""

    message = _("您的角色不能填报或修改工作记录。")

    def has_permission(self, request, view):
        action = getattr(view, "action", None)
        user = request.user
        if action in WRITE_ACTIONS:
            return bool(user.can_enter_work)
        if action in CHANGE_ACTIONS:
            return bool(user.can_enter_work or user.is_reviewer)
        return True


class IsReviewer(BasePermission):
    message = _("只有审核人员可以进行此操作。")

    def has_permission(self, request, view):
        return bool(request.user.is_reviewer)
