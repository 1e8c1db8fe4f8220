from django.urls import reverse
from django.utils.translation import gettext as _

from core.scope import Role


def navigation(request):
    """The navigation bar's entries for the current user (the base template renders them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    importer = user.is_superuser or user.role in (Role.REVIEWER, Role.COORDINATOR, Role.ADMIN)
    candidates = [
        ("home", _("首页"), user.role != Role.COORDINATOR or not user.unit_id),
        # A helping unit's coordinator works from their unit's page.
        ("pairing:my_unit", _("本单位"), user.role == Role.COORDINATOR and bool(user.unit_id)),
        ("villages:list", _("村"), True),
        ("households:list", _("贫困户"), True),
        ("households:visit_create", _("记录走访"), user.can_enter_work),
        ("households:pairing_list", _("结对帮扶"), user.role != Role.CADRE),
        ("monitoring:index", _("防返贫监测"), user.role != Role.COORDINATOR),
        ("cadres:helper_list", _("帮扶责任人"), user.role == Role.COORDINATOR),
        ("cadres:my_profile", _("我的档案"), user.role == Role.CADRE),
        ("households:review_list", _("走访审核"), user.is_reviewer),
        ("pairing:activities", _("活动台账"), True),
        ("structure", _("基础信息"), True),
        ("assessments:dashboard", _("考核看板"), user.is_reviewer),
        # Periods reported upward: township staff submit, reviewers approve (reporting/).
        ("reporting:index", _("报送"), user.role == Role.TOWNSHIP_STAFF or user.is_reviewer),
        ("inspections:draw_list", _("督查抽查"), user.is_reviewer),
        ("inspections:rectification_list", _("整改事项"), True),
        ("ledgers:export", _("台账导出"), user.is_reviewer),
        ("ledgers:import", _("名册导入"), user.role == Role.TOWNSHIP_STAFF),
        # Everyone else who keeps records imports them from Excel on the imports page (township
        # staff reach it from the roster page).
        ("ledgers:imports", _("数据导入"), importer),
        # The admin admits administrators only (accounts.admin_mixins / the security issue).
        ("admin:index", _("系统管理"), user.is_admin),
    ]
    return {
        "nav_items": [
            {"url": reverse(name), "label": label, "name": name}
            for name, label, allowed in candidates
            if allowed
        ]
    }
