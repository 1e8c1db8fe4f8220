"""Admin classes share the region scope of every other path: a staff user who is not an
administrator sees in the admin only what `visible_to` lets them see."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from core.guards import ensure_writable
from core.scope import Role


class ScopedAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of visits on every list page

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The write guards (core/guards.py: a record of a locked period) as form errors."""
        form = super().get_form(request, obj, change=change, **kwargs)

        class GuardedForm(form):  # type: ignore[valid-type,misc]
            def _post_clean(self):
                super()._post_clean()
                try:
                    ensure_writable(self.instance)
                except ValidationError as exc:
                    self._update_errors(exc)

        GuardedForm.__name__ = form.__name__
        return GuardedForm

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "POST" and obj is not None:
            try:
                ensure_writable(obj, deleting=True)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        refused = []
        for obj in queryset:
            try:
                ensure_writable(obj, deleting=True)
            except ValidationError as exc:
                refused.extend(exc.messages)
        if refused:
            self.message_user(request, " ".join(dict.fromkeys(refused)), messages.ERROR)
            return
        super().delete_queryset(request, queryset)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if hasattr(qs, "visible_to"):
            return qs.visible_to(request.user)
        return (
            qs
            if request.user.is_superuser or getattr(request.user, "role", None) == Role.ADMIN
            else qs.none()
        )
