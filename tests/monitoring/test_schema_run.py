"""A property-based run of the served schema over the monitoring operations (reads and writes),
as tests/api/test_schemathesis.py runs the rest: no input the schema allows or forbids may
give a server error or an answer that contradicts the schema."""

import pytest
import schemathesis
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from tests.api.test_schemathesis import _run
from tests.monitoring.conftest import clue_for, identify, open_case, remove_ready

MONITORING = (
    "/monitoring-",
    "/risk-clues/",
    "/risk-removals/",
    "/household-finances/",
    "/public-notices/",
)


@pytest.fixture(autouse=True)
def fixed_today():
    """The live server runs in its own thread: no frozen clock here."""
    yield


@pytest.mark.django_db(transaction=True)
def test_monitoring_operations_never_answer_a_server_error(mon, live_server):
    w = mon.world
    case = identify(w, open_case(w.staff_a, w.household_a, received=-30), start=-30)
    remove_ready(w, case)
    clue_for(w.staff_a, w.household_a, received=-2)
    token = Token.objects.get_or_create(user=w.staff_a)[0].key
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/?format=json", timeout=120
    )
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if any(part in op.path for part in MONITORING)
    ]
    assert len(operations) > 30
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, live_server.url, {"Authorization": f"Token {token}"})
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    assert not failures, "\n\n".join(failures)
