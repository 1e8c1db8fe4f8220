from notifications.selectors import unread_count


def unread(request):
    """The bell's unread count on every page: one indexed COUNT for a logged-in user. Reminders
    folded into a digest are counted through their digest (one a day), not one by one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
