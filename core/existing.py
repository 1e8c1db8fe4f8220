"""A record that already exists for the year (a household's income, a village's collective
income): the refusal names it, so the person corrects that record instead of entering a second.
The page shows "该年度已有收入记录，去修改" with a link to the record's edit page
(core.forms.add_service_errors); the API's message names the record's number and its URL."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

EXISTS = "exists"


def existing_record(what: str, *, pk: int, edit: str, api: str) -> ValidationError:
    """One field error for the existing record `pk`: `edit` is the name of its edit page, `api`
    the name of its API detail route."""
    edit_url = reverse(edit, args=[pk])
    try:
        api_url = reverse(api, args=[pk])
    except NoReverseMatch:  # the API's routes are not mounted (a project without api/)
        api_url = ""
    return ValidationError(
        _("%(what)s，编号 %(id)s（%(api_url)s），请修改原记录。"),
        code=EXISTS,
        params={"what": what, "id": pk, "api_url": api_url, "edit_url": edit_url},
    )
