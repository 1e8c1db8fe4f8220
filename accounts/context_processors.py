from django.urls import NoReverseMatch, reverse


def navigation(request):
    """The navigation bar's entries for the current user (the base template renders them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    candidates = [
        ("home", "首页", True),
        ("villages:list", "村", True),
        ("households:list", "贫困户", True),
        ("households:visit_create", "记录走访", user.can_enter_work),
        ("pairing:activities", "活动台账", True),
        ("assessments:dashboard", "考核看板", user.is_reviewer),
        ("inspections:draw_list", "督查抽查", user.is_reviewer),
        ("inspections:rectification_list", "整改事项", True),
        ("ledgers:export", "台账导出", user.is_reviewer),
        ("ledgers:import", "名册导入", user.role == "township_staff"),
        ("admin:index", "系统管理", user.is_staff),
    ]
    items = []
    for name, label, allowed in candidates:
        if not allowed:
            continue
        try:
            items.append({"url": reverse(name), "label": label, "name": name})
        except NoReverseMatch:
            continue  # the page is not installed yet
    return {"nav_items": items}
