from django.urls import path

from households import duplicate_views, offline, views

app_name = "households"

urlpatterns = [
    path("visits/new/", views.visit_create_view, name="visit_create"),
    # offline field work (issue 15): the cached data, the form shell, the outbox
    path("offline/", offline.outbox_page, name="offline_outbox"),
    path("offline/data/", offline.offline_data, name="offline_data"),
    path("offline/visit-form/", offline.visit_form_shell, name="offline_visit_form"),
    path("visits/review/", views.review_list_view, name="review_list"),
    path("visits/review/bulk/", views.visits_review_view, name="visits_review"),
    path("visits/<int:pk>/", views.visit_detail_view, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit_view, name="visit_edit"),
    path("visits/<int:pk>/delete/", views.visit_delete_view, name="visit_delete"),
    path("visits/<int:pk>/review/", views.visit_review_view, name="visit_review"),
    path("<int:pk>/reveal/", views.reveal_id, name="reveal_id"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
    path("photos/<int:pk>/thumb/", views.photo_view, {"size": "thumb"}, name="photo_thumb"),
    # households, members and incomes (the list and the household page are home/'s)
    path("new/", views.household_create_view, name="create"),
    path("<int:pk>/edit/", views.household_edit_view, name="edit"),
    path("<int:pk>/exit/", views.household_exit_view, name="exit"),
    path("<int:pk>/delete/", views.household_delete_view, name="delete"),
    path("<int:pk>/members/new/", views.member_create_view, name="member_create"),
    path("members/<int:pk>/edit/", views.member_edit_view, name="member_edit"),
    path("members/<int:pk>/delete/", views.member_delete_view, name="member_delete"),
    path("<int:pk>/incomes/new/", views.income_create_view, name="income_create"),
    path("incomes/<int:pk>/edit/", views.income_edit_view, name="income_edit"),
    path("incomes/<int:pk>/delete/", views.income_delete_view, name="income_delete"),
    # one household, one plan
    path("<int:pk>/plan/", views.plan_view, name="plan"),
    path("<int:pk>/plan/new/", views.plan_create_view, name="plan_create"),
    path("<int:pk>/plan/edit/", views.plan_edit_view, name="plan_edit"),
    path("<int:pk>/plan/delete/", views.plan_delete_view, name="plan_delete"),
    path("<int:pk>/plan/measures/new/", views.measure_create_view, name="measure_create"),
    path("measures/<int:pk>/edit/", views.measure_edit_view, name="measure_edit"),
    path("measures/<int:pk>/delete/", views.measure_delete_view, name="measure_delete"),
    # household pairings (结对帮扶) and coverage (全覆盖)
    path("pairings/", views.pairing_list_view, name="pairing_list"),
    path("pairings/new/", views.pairing_create_view, name="pairing_create"),
    path("pairings/reassign/", views.pairing_reassign_view, name="pairing_reassign"),
    path("pairings/<int:pk>/", views.pairing_detail_view, name="pairing_detail"),
    path("pairings/<int:pk>/edit/", views.pairing_edit_view, name="pairing_edit"),
    path("pairings/<int:pk>/handover/", views.pairing_handover_view, name="pairing_handover"),
    path("pairings/<int:pk>/end/", views.pairing_end_view, name="pairing_end"),
    path("pairings/<int:pk>/delete/", views.pairing_delete_view, name="pairing_delete"),
    path("coverage/", views.coverage_view, name="coverage"),
    # duplicate households (一人多户): findings, merge, undo
    path("duplicates/", duplicate_views.duplicates_view, name="duplicates"),
    path("duplicates/merge/", duplicate_views.merge_view, name="duplicate_merge"),
    path("duplicates/<int:pk>/undo/", duplicate_views.undo_view, name="duplicate_undo"),
]
