from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = "干部与驻村工作队"

    def ready(self):
        # Change history (who, when, what) shown on each record's page (issue #3): every record
        # the cadre pages, imports and API let people change. Imported in ready(): models can
        # be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from cadres.models import (
            Cadre,
            FieldDay,
            Liaison,
            ReserveCadre,
            TalentAssignment,
            Term,
            WorkingFund,
            WorkTeam,
            WorkTeamMember,
            YearlyGrade,
        )

        auditlog.register(FieldDay)
        auditlog.register(Cadre)
        auditlog.register(Term)
        auditlog.register(WorkTeam, m2m_fields={"villages"})
        auditlog.register(WorkTeamMember)
        auditlog.register(YearlyGrade)
        auditlog.register(WorkingFund)
        auditlog.register(Liaison)
        auditlog.register(ReserveCadre)
        auditlog.register(TalentAssignment)
