"""Pages of the security controls: changing one's password (forced on first login). Revealing a
household's full ID number (logged) is households/views.py:reveal_id, through
accounts.services.full_id_reveal."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.middleware import password_change_due


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
