from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.index, name="index"),
    # risk clues
    path("clues/", views.clue_list, name="clue_list"),
    path("clues/new/", views.clue_create, name="clue_create"),
    path("clues/<int:pk>/", views.clue_detail, name="clue_detail"),
    path("clues/<int:pk>/edit/", views.clue_edit, name="clue_edit"),
    path("clues/<int:pk>/accept/", views.clue_accept, name="clue_accept"),
    path("clues/<int:pk>/decide/", views.clue_decide, name="clue_decide"),
    path("clues/<int:pk>/open-case/", views.clue_open_case, name="clue_open_case"),
    # cases and their steps
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/step/", views.case_step, name="case_step"),
    path("cases/<int:pk>/not-identified/", views.case_not_identified, name="case_not_identified"),
    path("steps/<int:pk>/withdraw/", views.step_withdraw, name="step_withdraw"),
    path("steps/<int:pk>/document/", views.step_document, name="step_document"),
    # measures, income and expenses
    path("cases/<int:pk>/measures/new/", views.measure_create, name="measure_create"),
    path("measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path("cases/<int:pk>/finances/new/", views.finance_create, name="finance_create"),
    path("finances/<int:pk>/edit/", views.finance_edit, name="finance_edit"),
    # risk removal
    path("cases/<int:pk>/removal/", views.removal_propose, name="removal_propose"),
    path("removals/<int:pk>/step/", views.removal_step, name="removal_step"),
    path("removals/<int:pk>/stop/", views.removal_stop, name="removal_stop"),
    # finding households
    path("screening/", views.screening, name="screening"),
    # public notices
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/households/", views.notice_add_cases, name="notice_add_cases"),
    path("notices/<int:pk>/print/", views.notice_print, name="notice_print"),
    # the yearly review of the original registered households
    path("reviews/", views.review_list, name="review_list"),
    # the monitoring range
    path("ranges/", views.range_list, name="range_list"),
    path("ranges/new/", views.range_create, name="range_create"),
    path("ranges/<int:pk>/edit/", views.range_edit, name="range_edit"),
]
