"""Admin classes share the region scope of every other path: a staff user who is not an
administrator sees in the admin only what `visible_to` lets them see."""

from django.contrib import admin

from core.scope import Role


class ScopedAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of visits on every list page

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if hasattr(qs, "visible_to"):
            return qs.visible_to(request.user)
        return (
            qs
            if request.user.is_superuser or getattr(request.user, "role", None) == Role.ADMIN
            else qs.none()
        )
