"""Schemathesis' stateful phase against a real server (pytest-django's live_server): the
served schema's OpenAPI links (api/schema_links.py) chain the calls, so a row created by a
collection POST is then fetched, changed and deleted by the id its answer gave, and the first
row of a list is fetched by its id. Every answer of the chain must be no server error and
agree with the schema (status code, content type, body). Authenticated with a township staff
member's token; the rows are those of tests/api/conftest.py (one of every list for side A).

Bounded: SCHEMATHESIS_SCENARIOS scenarios (default 40) of at most SCHEMATHESIS_STEPS calls
each (default 25), no shrinking, no example database, derandomized (SCHEMATHESIS_RANDOM=1
explores afresh; schemathesis still flips its own coin on whether a link's value is used).
About 25 s of calls on a 2-core machine (under a minute with the live server and the rows).

Writes are grounded: a valid (positive) request body names rows by id (village, household,
helper …) and dates no later than today, which random generation almost never hits, so before
each call such fields are pointed at the fixture's rows and at past days. Invalid (negative)
requests are sent as generated."""

import collections
import datetime
import os
import time

import pytest
import schemathesis
from django.db import transaction
from django.db.models import Max, ProtectedError, RestrictedError
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.urls import router
from pairing.models import Pairing
from tests.api.conftest import ENDPOINTS, side, token_client
from tests.factories import VillageIncomeFactory

SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "40"))
STEPS = int(os.environ.get("SCHEMATHESIS_STEPS", "25"))
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The models the API creates rows of (what a scenario's POSTs leave behind).
WRITTEN = [
    viewset.model
    for _, viewset, _ in router.registry
    if hasattr(viewset, "create") and getattr(viewset, "model", None) is not None
]
DATE_FIELDS = ("visited_on", "day", "held_on", "started_on")


def _collections(schema: dict) -> list[str]:
    """Collection paths with a POST and an item path (`…/{id}/`)."""
    paths = schema["paths"]
    return [
        path
        for path, item in paths.items()
        if "{" not in path and "post" in item and f"{path}{{id}}/" in paths
    ]


def test_schema_links_created_rows_to_their_item_operations(db):
    schema = token_client().get("/api/v1/schema/", {"format": "json"}).json()
    collections_ = _collections(schema)
    assert len(collections_) >= 7  # visits, field days, trainings, meetings, party days …
    for path in collections_:
        item = schema["paths"][f"{path}{{id}}/"]
        created = schema["paths"][path]["post"]["responses"]["201"]
        links = created.get("links", {})
        for method in ("get", "patch", "delete"):
            if method not in item:
                continue
            operation_id = item[method]["operationId"]
            assert links.get(operation_id, {}).get("operationId") == operation_id, (
                f"POST {path} 201 has no link to {method.upper()} {path}{{id}}/"
            )
            assert links[operation_id]["parameters"] == {"id": "$response.body#/id"}
    # The visit POST's idempotent retry (200) answers with the same row: same links.
    visits = schema["paths"]["/api/v1/visits/"]["post"]["responses"]
    assert visits["200"]["links"] == visits["201"]["links"]
    # A list links its first row to the item's GET.
    households = schema["paths"]["/api/v1/households/"]["get"]["responses"]["200"]
    assert households["links"]["households_retrieve"]["parameters"] == {
        "id": "$response.body#/results/0/id"
    }


def _grounding(world) -> dict:
    """Real ids, in staff A's scope, for the fields a write body names rows with."""
    pairing = Pairing.objects.filter(village=world.village_a).order_by("id").first()
    return {
        "village": world.village_a.id,
        "household": world.household_a.id,
        "helper": world.helper_a.id,
        "cadre": world.helper_a.id,
        "region": world.village_a.region_id,
        "unit": world.unit.id,
        "pairing": pairing.id if pairing else None,
        "measure": None,
        "org_pairing": None,
    }


def _body_fields(raw: dict) -> dict:
    """{(path, METHOD): the property names its request body declares}."""
    components = raw["components"]["schemas"]
    result = collections.defaultdict(set)
    for path, item in raw["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media["schema"].get("$ref", "")
                result[(path, method.upper())] |= set(
                    components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                )
    return result


def _ground(case, declared: set, grounding: dict, today: datetime.date) -> None:
    """Point a valid write body at the fixture's rows (see the module docstring)."""
    body = case.body
    # The request schemas do not say `additionalProperties: false`, so schemathesis adds
    # fields of its own to a valid body; the API refuses unknown fields (a 400 naming them).
    for name in set(body) - declared:
        del body[name]
    for name, value in grounding.items():
        if name in body:
            body[name] = value
    for name in DATE_FIELDS:
        if isinstance(body.get(name), str):
            body[name] = _past_day(body[name], today)
    # What the services require of a township staff member that the schema leaves optional.
    if case.operation.path == "/api/v1/field-days/" and case.method.upper() == "POST":
        body["cadre"] = grounding["cadre"]  # staff name the cadre (a cadre's account: itself)
    if case.operation.path == "/api/v1/visits/" and case.method.upper() == "POST":
        body["household"] = grounding["household"]  # a household, or a village's work alone
        body.pop("village", None)
    if case.media_type == "multipart/form-data":
        for name in [name for name, value in body.items() if value is None]:
            del body[name]  # a form has no null: a field left out is one left empty


def _past_day(value, today: datetime.date) -> str:
    """A day within the last year, chosen by the generated value (so runs stay repeatable)."""
    offset = sum(str(value).encode()) % 365
    return (today - datetime.timedelta(days=offset)).isoformat()


@pytest.mark.django_db(transaction=True)
def test_stateful_run_finds_no_server_error(world, live_server, settings):
    # A run makes more calls a minute than the per-token limit allows; the limit has tests of
    # its own (tests/api/test_tokens.py), here it would only end the run early with 429s.
    settings.API_THROTTLE_USER_RATE = ""
    a = side(world, "a")
    for endpoint in ENDPOINTS:  # a row of every list, so each list's first-row link is followed
        if endpoint.path != "village-incomes":  # its maker's years (1901 …) are below the minimum
            endpoint.make(a, 1)
    VillageIncomeFactory(village=world.village_a, year=2020)
    token = Token.objects.get_or_create(user=world.staff_a)[0].key
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/?format=json", timeout=120
    )
    # Only the schema's own links: no links inferred by schemathesis on top of them.
    schema.config.phases.stateful.inference.algorithms = []
    grounding = _grounding(world)
    first_rows = {model: model.objects.aggregate(last=Max("id"))["last"] or 0 for model in WRITTEN}
    fields = _body_fields(schema.raw_schema)
    today = datetime.date.today()
    base_url = live_server.url
    tally = collections.Counter()  # (operation label, status code) -> calls
    linked = collections.Counter()  # calls whose parameters came from a link

    class Workflow(schema.as_state_machine()):
        def step(self, input):
            if input.transition is not None and input.applied_parameters:
                linked[input.case.operation.label] += 1
            return super().step(input)

        def before_call(self, case):
            meta = case.meta
            positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
            method = case.method.upper()
            if positive and method in ("POST", "PATCH") and isinstance(case.body, dict):
                _ground(case, fields[(case.operation.path, method)], grounding, today)

        def teardown(self):
            # Each scenario starts from the same rows: the next one may send the same valid
            # body (a duplicate day or submission token would then be a 409 or a 200), and
            # Hypothesis requires the same choices to lead to the same calls.
            pending = dict(first_rows)
            for _ in range(len(pending)):  # a row another new row protects goes on a later pass
                for model, last in list(pending.items()):
                    try:
                        with transaction.atomic():
                            model.objects.filter(id__gt=last).delete()
                    except (ProtectedError, RestrictedError):
                        continue
                    del pending[model]
            assert not pending, f"rows of {list(pending)} could not be removed"
            super().teardown()

        def get_call_kwargs(self, case):
            return {"base_url": base_url, "headers": headers, "timeout": 30}

        def after_call(self, response, case):
            super().after_call(response, case)
            tally[(case.operation.label, response.status_code)] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    started = time.monotonic()
    try:
        Workflow.run(
            settings=hypothesis_settings(
                max_examples=SCENARIOS,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                derandomize=not RANDOM,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        calls = sum(tally.values())
        created = sum(n for (label, code), n in tally.items() if code == 201)
        print(
            f"schemathesis stateful: {SCENARIOS} scenarios, {calls} calls, {created} rows "
            f"created, {sum(linked.values())} calls through a link, "
            f"{time.monotonic() - started:.0f} s"
        )
        for (label, code), n in sorted(tally.items()):
            print(f"  {label} {code}: {n}")
    # The links were followed: rows created and then fetched, changed or deleted by their id.
    assert created > 0
    followed = {label.split()[0] for label in linked if label.endswith("/{id}/")}
    assert followed == {"GET", "PATCH", "DELETE"}, followed
