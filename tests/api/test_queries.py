"""Every list answers in a fixed number of queries whatever the page holds: the same count for
one row and for thirty, and never more than the pinned bound (token, user's region, count,
page, and the prefetches of nested rows)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ENDPOINTS, side, token_client, url

pytestmark = pytest.mark.django_db

# Measured; a change that adds a query per row breaks the equality below, one that adds a
# fixed query breaks the bound (raise it only with a reason).
# Default 4: the token (with its user), the user's region, the count, the page.
PINNED = {
    "households": 7,  # + members, helpers in force, plan measures
    "work-teams": 6,  # + members, villages
    "villages": 5,  # + incomes
    "pairings": 5,  # + participants
    "visits": 8,  # + household, village, helper (prefetched, see VisitViewSet), photos
    "indicators": 3,  # the catalogue is not scoped: no region
    "notifications": 3,  # the user's own: no region
    "export-jobs": 3,  # the user's own: no region
}
DEFAULT_BOUND = 4


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(path), {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_list_queries_do_not_grow_with_rows(world, endpoint, django_assert_max_num_queries):
    user = getattr(world, endpoint.viewer)
    client = token_client(user)
    endpoint.make(side(world, "a"), 1)
    one = _count(client, endpoint.path)
    endpoint.make(side(world, "a"), 29)
    bound = PINNED.get(endpoint.path, DEFAULT_BOUND)
    client = token_client(user)
    with django_assert_max_num_queries(bound):
        thirty = _count(client, endpoint.path)
    assert thirty == one
