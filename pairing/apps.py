from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "pairing"
    verbose_name = "单位、党组织与结对共建"

    def ready(self):
        # Change history (who, when, what) shown on each record's page (issue #3). Imported in
        # ready(): models can be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from pairing.models import (
            Donation,
            Meeting,
            Pairing,
            PairingParticipant,
            PairingYearPlan,
            PartyDay,
            PartyOrganisation,
            Project,
            StudyTrip,
            Training,
            Unit,
        )

        # The structure kept by its owners (issue 13); a pairing's page also shows its
        # participants' and yearly plans' changes (they log the pairing's id).
        auditlog.register(Unit)
        auditlog.register(PartyOrganisation)
        auditlog.register(Pairing, exclude_fields=["path"])
        auditlog.register(PairingParticipant)
        auditlog.register(PairingYearPlan)
        auditlog.register(Project)
        auditlog.register(Donation)
        auditlog.register(Training, exclude_fields=["updated_at"])
        auditlog.register(Meeting, exclude_fields=["updated_at"])
        auditlog.register(PartyDay, exclude_fields=["updated_at"])
        auditlog.register(StudyTrip, exclude_fields=["updated_at"])
