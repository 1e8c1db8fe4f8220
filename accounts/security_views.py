"""Pages of the security controls: changing one's password (forced on first login) and revealing
a household's full ID number to a role that may see it (every reveal is logged)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.middleware import password_change_due
from accounts.services import full_id_reveal
from households.models import Household


class NewPasswordChangeForm(PasswordChangeForm):
    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password1")
        if password and not self.has_error("new_password2") and self.user.check_password(password):
            self.add_error(
                "new_password2",
                forms.ValidationError(_("新密码不能与原密码相同。"), code="password_unchanged"),
            )
        return cleaned


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = NewPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forced"] = password_change_due(self.request.user)
        context["next"] = self._next_url() or ""
        return context

    def _next_url(self) -> str | None:
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return None

    def get_success_url(self):
        return self._next_url() or str(self.success_url)

    def form_valid(self, form):
        form.user.must_change_password = False
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改。"))
        return response


def _household_url(pk: int) -> str:
    for name, args in (("households:detail", [pk]), ("households:list", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("home")


@never_cache
@login_required
@require_POST
def reveal_id(request, pk: int):
    """A POST (never a link a browser could prefetch or keep in history) that shows the full ID
    and phone numbers of one household in the user's scope, and logs that it did."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("village__region"), pk=pk
    )
    numbers = full_id_reveal(user=request.user, household=household, request=request)
    return render(
        request,
        "accounts/reveal_id.html",
        {"household": household, "numbers": numbers, "back_url": _household_url(household.pk)},
    )
