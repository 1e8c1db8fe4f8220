"""Entry forms for the activities units and villages hold. Choices are scoped to the user;
the services in pairing/services.py decide what is saved."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import EntryForm
from pairing.models import Meeting, Pairing, PartyDay, StudyTrip, Training, Unit
from villages.forms import villages_in_scope


def units_in_scope(user):
    return Unit.objects.visible_to(user).order_by("name")


def pairings_in_scope(user):
    return Pairing.objects.visible_to(user).order_by("name")


class TrainingForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = Training
        fields = [
            "village",
            "kind",
            "title",
            "held_on",
            "unit",
            "audience",
            "lecturer",
            "attendance",
            "village_cadres_trained",
            "content",
        ]

    def clean(self):
        cleaned = super().clean()
        attendance = cleaned.get("attendance") or 0
        cadres = cleaned.get("village_cadres_trained") or 0
        if cadres > attendance and not self.has_error("village_cadres_trained"):
            # Also checked by the service; here so it shows together with the other errors.
            self.add_error("village_cadres_trained", _("其中村干部人数不能多于参训人数。"))
        return cleaned


class MeetingForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope, "pairing": pairings_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = Meeting
        fields = [
            "village",
            "kind",
            "title",
            "held_on",
            "unit",
            "pairing",
            "leader_level",
            "attendance",
            "minutes",
        ]


class PartyDayForm(EntryForm):
    scoped = {"village": villages_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = PartyDay
        fields = ["village", "held_on", "theme", "attendance", "content"]


class StudyTripForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope}
    date_fields = ("started_on",)

    class Meta:
        model = StudyTrip
        fields = [
            "village",
            "unit",
            "started_on",
            "days",
            "destination",
            "participants",
            "content",
        ]
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}
