"""The demo's monitoring (issue 14 "Demo"): a county with clues in every state (some past their
deadline), a case at each step, a notice running, a case decided with measures and a helper in
force, a removal refused for a household without labour capacity, a household identified again
after an earlier removal, and ordinary households; the data keeps the services' rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from households.models import Household, HouseholdPairing, PovertyStatus
from monitoring import selectors
from monitoring.models import (
    PROCEDURE_STEPS,
    CaseStatus,
    Category,
    ClueChannel,
    LabourCapacity,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalKind,
    RemovalStatus,
    RiskClue,
    StepKind,
)
from monitoring.services import removal_propose

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", scale="small", seed=7, today=TODAY)


def test_range_and_ordinary_households(demo):
    province_range = MonitoringRange.objects.get(region__level="province", year=TODAY.year)
    assert province_range.amount > 0
    assert selectors.range_for(Household.objects.first().path, TODAY.year) == province_range
    ordinary = Household.objects.filter(status=PovertyStatus.ORDINARY)
    assert ordinary.count() == 3
    for household in ordinary:
        assert household.cause == "" and household.track == "" and household.registered_year is None
        household.full_clean(validate_unique=False)  # satisfies the model's rule for 一般农户
        assert household.members.exclude(id_number=None).exists()  # a warning can match them


def test_clues_in_every_state_some_late(demo):
    clues = RiskClue.objects.all()
    states = {selectors.clue_state(clue)[0] for clue in clues}
    assert states == {"awaiting", "open", "identifying", "decided"}
    assert {c.channel for c in clues} == set(ClueChannel.values)
    assert selectors.clues_acceptance_late(clues, TODAY).exists()
    late = selectors.clues_late(clues, TODAY)
    assert late.filter(decided_on__isnull=True).exists()  # undecided past 15 days
    assert late.filter(decided_on__isnull=False).exists()  # decided, but after the deadline
    assert clues.filter(decided_on__isnull=False, decision_days__lte=15).exists()
    for clue in clues:
        assert clue.received_on <= TODAY
        assert clue.path == clue.household.path and clue.township_id == clue.household.township_id
        if clue.decided_on:
            assert clue.decision_days == selectors.days_between(clue.received_on, clue.decided_on)


def test_a_case_at_each_step_and_a_notice_running(demo):
    identifying = MonitoringCase.objects.filter(status=CaseStatus.IDENTIFYING)
    waiting = {selectors.case_next_step(case) for case in identifying}
    assert waiting == set(PROCEDURE_STEPS[Procedure.IDENTIFICATION])
    running = selectors.notices_running(PublicNotice.objects.all(), TODAY)
    assert running.filter(end_date__gt=TODAY, purpose=Procedure.IDENTIFICATION).exists()
    assert MonitoringCase.objects.filter(status=CaseStatus.NOT_IDENTIFIED).exists()
    # Every step keeps the services' rules: order, dates, home-check document and checkers,
    # notice minimums, the next step after the notice has ended.
    for case in MonitoringCase.objects.prefetch_related("steps__notice"):
        assert selectors.category_refusal(case.household, case.category) is None
        for procedure in Procedure.values:
            for removal_id in {s.removal_id for s in case.steps.all() if s.procedure == procedure}:
                done = sorted(
                    (
                        s
                        for s in case.steps.all()
                        if s.procedure == procedure and s.removal_id == removal_id
                    ),
                    key=lambda s: PROCEDURE_STEPS[procedure].index(s.kind),
                )
                kinds = [s.kind for s in done]
                assert kinds == list(PROCEDURE_STEPS[procedure][: len(kinds)])
                for before, after in zip(done, done[1:], strict=False):
                    assert before.done_on <= after.done_on
                    if before.kind == StepKind.APPRAISAL:
                        assert after.done_on > before.notice.end_date
                for step in done:
                    assert case.received_on <= step.done_on <= TODAY
                    if step.kind == StepKind.HOME_CHECK:
                        assert step.document and len(selectors_checkers(step)) >= (
                            2 if procedure == Procedure.REMOVAL else 1
                        )
                    if step.kind == StepKind.APPRAISAL:
                        notice = step.notice
                        assert notice.village_id == case.village_id
                        assert notice.purpose == procedure
                        assert selectors.notice_days(
                            notice.start_date, notice.end_date
                        ) >= selectors.notice_minimum_days(procedure)


def selectors_checkers(step):
    from monitoring.services import checker_names

    return checker_names(step.checkers)


def test_a_decided_case_has_measures_and_a_helper_in_force(demo):
    monitored = MonitoringCase.objects.filter(status=CaseStatus.MONITORED)
    assert monitored.count() >= 3
    for case in monitored:
        assert case.decided_on and case.identification_days is not None
        assert MonitoringMeasure.objects.in_force(TODAY).filter(case=case).exists()
        assert HouseholdPairing.objects.in_force(TODAY).filter(household=case.household).exists()
        assert case.clues.filter(outcome="identified").exists()
    assert MonitoringMeasure.objects.filter(before_decision=True).exists()


def test_a_removal_is_refused_for_a_household_without_labour_capacity(demo):
    case = MonitoringCase.objects.get(
        status=CaseStatus.MONITORED, labour_capacity=LabourCapacity.NONE
    )
    refused = [c for c in selectors.removal_checks(case) if not c.ok]
    assert [c.key for c in refused] == ["labour"]  # every other condition holds
    reviewer = User.objects.get(username="reviewer")
    with pytest.raises(ValidationError) as error:
        removal_propose(user=reviewer, case=case, kind=RemovalKind.STABLE, proposed_on=TODAY)
    assert "无劳动能力" in str(error.value)
    assert not case.removals.exists()
    kinds = set(case.measures.values_list("kind", flat=True))
    assert kinds <= {"minimum_living", "extreme_poverty", "medical_aid", "temporary_assistance"}


def test_a_household_identified_again_after_an_earlier_removal(demo):
    earlier = MonitoringCase.objects.get(status=CaseStatus.REMOVED)
    removal = earlier.removals.get()
    assert removal.status == RemovalStatus.REMOVED and removal.decided_on == earlier.closed_on
    assert MonitoringStep.objects.filter(removal=removal).count() == 4
    later = MonitoringCase.objects.get(household=earlier.household, status=CaseStatus.MONITORED)
    assert later.received_on > earlier.closed_on
    assert later.category == Category.UNSTABLE


def test_the_monitoring_is_deterministic_and_leaves_the_rest_unchanged(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    def snapshot():
        return (
            list(
                RiskClue.objects.order_by("received_on", "household__head_id_number").values_list(
                    "household__head_id_number", "received_on", "channel", "decided_on"
                )
            ),
            list(Household.objects.order_by("id").values_list("head_id_number", flat=True)),
        )

    with transaction.atomic():
        call_command("seed_demo", scale="small", seed=3, today=datetime.date(2026, 6, 1))
        first = snapshot()
        transaction.set_rollback(True)
    call_command("seed_demo", scale="small", seed=3, today=datetime.date(2026, 6, 1))
    assert snapshot() == first
    assert MonitoringCase.objects.filter(status=CaseStatus.REMOVED).exists()
