"""A property-based run of the served schema against a real server (pytest-django's
live_server): every GET operation and the visit POST, with inputs generated from the schema,
both valid and deliberately invalid, authenticated with a township staff member's token. No
answer may be a server error or contradict the schema (status code, content type, body).

Bounded so CI stays short: SCHEMATHESIS_EXAMPLES examples per operation and mode (default 5),
no shrinking, a fixed seed (SCHEMATHESIS_RANDOM=1 explores afresh; SCHEMATHESIS_WRITES=1 adds
every other write operation), and a time budget
(SCHEMATHESIS_BUDGET seconds, default 150) after which the remaining operations are listed as
not run. About a minute on a 2-core machine.

(The operations are driven one by one here rather than through schemathesis' pytest plugin,
whose lazy-fixture loader does not run under pytest 9.2.)"""

import contextlib
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_households, make_rectifications, make_visits, side

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
BUDGET = float(os.environ.get("SCHEMATHESIS_BUDGET", "150"))
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM") == "1"
ALL_WRITES = os.environ.get("SCHEMATHESIS_WRITES") == "1"  # every POST/PATCH/DELETE as well
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # The schema tells the truth about validation: what it forbids is refused (a 4xx, never a
    # 200) and, for reads, what it allows is accepted (never a 400).
    negative_data_rejection,
]
# A write's body names rows (a household, a helper paired with it on that day, a village in
# scope) and rules of the services that no schema can state: a schema-valid body may still be
# a 400 there, so positive acceptance is checked on reads only.
READ_CHECKS = [*CHECKS, positive_data_acceptance]


def _selected(operation) -> bool:
    if ALL_WRITES:
        return "/photos/" not in operation.path
    if operation.method.upper() == "GET":
        return "/photos/" not in operation.path  # binary files: test_writes downloads one
    return operation.method.upper() == "POST" and operation.path == "/api/v1/visits/"


CASES = {"sent": 0}  # requests made by the run (reported at its end)


def _run(operation, mode, base_url, headers):
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # nothing to negate (an operation without parameters)
        return

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=not RANDOM,
    )
    def run(case):
        checks = READ_CHECKS if operation.method.upper() == "GET" else CHECKS
        CASES["sent"] += 1
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=30)

    # Unsatisfiable: the negative mode of an operation with nothing to make invalid.
    with contextlib.suppress(Unsatisfiable):
        run()


@pytest.mark.django_db(transaction=True)
def test_schema_run_finds_no_server_error(world, live_server):
    a = side(world, "a")  # some rows, so list bodies are checked, not just empty pages
    make_households(a, 2)
    make_visits(a, 2)
    make_rectifications(a, 1)
    token = Token.objects.get_or_create(user=world.staff_a)[0].key
    headers = {"Authorization": f"Token {token}"}
    # A generous timeout: generating the schema takes seconds on a busy 2-core machine.
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/?format=json", timeout=120
    )

    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if _selected(op)]
    assert len(operations) > 40

    started = time.monotonic()
    failures, not_run = [], []
    for operation in operations:
        if time.monotonic() - started > BUDGET:
            not_run.append(operation.label)
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, live_server.url, headers)
            except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    print(
        f"schemathesis: {len(operations)} operations, {CASES['sent']} cases, "
        f"{len(failures)} failures in {time.monotonic() - started:.0f} s"
    )
    assert not failures, "\n\n".join(failures)
    assert not not_run, f"time budget exceeded, not run: {not_run}"
