"""/api/v1/: one route per resource (see the served schema at /api/v1/schema/ and the
documentation at /api/v1/docs/). Anything else under /api/v1/ is a JSON 404."""

import importlib

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api.docs import ApiDocsView, ApiSchemaView
from api.exceptions import api_not_found
from api.views import (
    activities,
    duplicates,
    exports,
    households,
    oversight,
    reference,
    reporting,
)

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("regions", reference.RegionViewSet, basename="region")
router.register("villages", reference.VillageViewSet, basename="village")
router.register("village-incomes", reference.VillageIncomeViewSet, basename="village-income")
router.register("units", reference.UnitViewSet, basename="unit")
router.register(
    "party-organisations", reference.PartyOrganisationViewSet, basename="party-organisation"
)
router.register("pairings", reference.PairingViewSet, basename="pairing")
router.register("households", households.HouseholdViewSet, basename="household")
router.register(
    "household-pairings", households.HouseholdPairingViewSet, basename="household-pairing"
)
router.register("visits", households.VisitViewSet, basename="visit")
router.register("cadres", reference.CadreViewSet, basename="cadre")
router.register("work-teams", reference.WorkTeamViewSet, basename="work-team")
router.register("field-days", activities.FieldDayViewSet, basename="field-day")
router.register("trainings", activities.TrainingViewSet, basename="training")
router.register("meetings", activities.MeetingViewSet, basename="meeting")
router.register("party-days", activities.PartyDayViewSet, basename="party-day")
router.register("study-trips", activities.StudyTripViewSet, basename="study-trip")
router.register("indicators", oversight.IndicatorViewSet, basename="indicator")
router.register("indicator-results", oversight.IndicatorResultViewSet, basename="indicator-result")
router.register("spot-check-draws", oversight.SpotCheckDrawViewSet, basename="spot-check-draw")
router.register("spot-check-items", oversight.SpotCheckItemViewSet, basename="spot-check-item")
router.register("rectifications", oversight.RectificationViewSet, basename="rectification")
router.register("notifications", oversight.NotificationViewSet, basename="notification")
router.register("export-jobs", exports.ExportJobViewSet, basename="export-job")

# The kept structure records' endpoints (writes through the owners' services): each module
# lists ROUTES = [(prefix, viewset, basename)]; a prefix registered above is replaced.
KEPT_MODULES = [
    "kept_villages",
    "kept_pairing",
    "kept_cadres",
    "kept_households",
    "kept_rules",
    "kept_monitoring",
    "kept_ledgers",
]
for module_name in KEPT_MODULES:
    module = importlib.import_module(f"api.views.{module_name}")
    for prefix, viewset, basename in module.ROUTES:
        router.registry[:] = [entry for entry in router.registry if entry[0] != prefix]
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    # Duplicate households (issue 16): api/views/duplicates.py.
    path("duplicates/", duplicates.DuplicateListView.as_view(), name="duplicates"),
    path("duplicates/merges/", duplicates.MergeListView.as_view(), name="duplicate-merges"),
    path(
        "duplicates/merges/<int:pk>/undo/",
        duplicates.MergeUndoView.as_view(),
        name="duplicate-merge-undo",
    ),
    *router.urls,
    # Reporting periods (issue 16): api/views/reporting.py.
    path(
        "periods/county/<int:county_id>/",
        reporting.PeriodStatusView.as_view(),
        name="period-status",
    ),
    path(
        "periods/<int:township_id>/<str:label>/",
        reporting.PeriodDetailView.as_view(),
        name="period-detail",
    ),
    path(
        "periods/<int:township_id>/<str:label>/submit/",
        reporting.PeriodSubmitView.as_view(),
        name="period-submit",
    ),
    path(
        "periods/<int:township_id>/<str:label>/approve/",
        reporting.PeriodApproveView.as_view(),
        name="period-approve",
    ),
    path(
        "periods/<int:township_id>/<str:label>/return/",
        reporting.PeriodReturnView.as_view(),
        name="period-return",
    ),
    path(
        "periods/<int:township_id>/<str:label>/reopen/",
        reporting.PeriodReopenView.as_view(),
        name="period-reopen",
    ),
    re_path(r"^[\s\S]*$", api_not_found, name="not-found"),  # any byte, newlines too
]
