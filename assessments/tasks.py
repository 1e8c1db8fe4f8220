"""Celery tasks of the assessments app. Thin: they take strings and ids and call services.

- `assessments.tasks.evaluate_period(period, region_code=None, run_id=None)`: evaluate one
  period (e.g. "2026", "2026-Q3", "2026-09", "2026-W38"), for a region's subtree when
  `region_code` is given. The dashboard's "re-evaluate" button records an EvaluationRun first
  (so two clicks cannot start two runs) and passes its id; without an id the task records one.
- `assessments.tasks.evaluate_current_periods()`: the nightly job; evaluates every period that
  contains yesterday or today (year, quarter, month, ISO week). The beat schedule that calls it
  lives in config (not here).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import EvaluationRun
from assessments.periods import current_periods
from assessments.services import evaluation_execute, evaluation_start

logger = logging.getLogger(__name__)


@shared_task(name="assessments.tasks.evaluate_period")
def evaluate_period(period: str, region_code: str | None = None, run_id: int | None = None) -> dict:
    if run_id is not None:
        run = EvaluationRun.objects.filter(pk=run_id, status=EvaluationRun.Status.RUNNING).first()
        if run is None:
            logger.warning("evaluation run %s is not waiting to run; skipped", run_id)
            return {"period": period, "skipped": True}
    else:
        try:
            run = evaluation_start(period=period, region_code=region_code)
        except ValidationError as exc:
            # Another run of the same period is under way: it will store the same results.
            logger.info("evaluation of %s not started: %s", period, exc.messages)
            return {"period": period, "skipped": True}
    run = evaluation_execute(run=run)
    return {"period": run.period, "results": run.results, "seconds": run.seconds}


@shared_task(name="assessments.tasks.evaluate_current_periods")
def evaluate_current_periods() -> list[dict]:
    out = []
    for period in current_periods(timezone.localdate()):
        out.append(evaluate_period(period.label))
    return out
