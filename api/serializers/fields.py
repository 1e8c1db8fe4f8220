"""Fields shared by the write serializers."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id in a write body, looked up only among the objects the user may see: an id outside
    the user's scope is answered exactly like an id that does not exist (nothing is revealed,
    nothing is written). `scope(user)` replaces `Model.objects.visible_to(user)` where a form
    offers a narrower choice (the regions where days in the field may be recorded)."""

    def __init__(self, *, scope=None, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        if self.scope is not None:
            return self.scope(request.user)
        return queryset.model.objects.visible_to(request.user)

    def to_internal_value(self, data):
        # A bool is an int in Python; an id far beyond the database's range is no id at all.
        if isinstance(data, bool) or (isinstance(data, int) and not 0 < data < 2**63):
            self.fail("does_not_exist", pk_value=data)
        if isinstance(data, str) and data.isdigit() and int(data) >= 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


EARLIEST_DATE = datetime.date(2000, 1, 1)


class EntryDateField(serializers.DateField):
    """A date of entered work: ISO format, not before 2000 (the services refuse dates after
    today with their own message)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if day < EARLIEST_DATE:
            raise serializers.ValidationError(_("日期不能早于 2000-01-01。"), code="min_value")
        return day
