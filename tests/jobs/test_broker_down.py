"""The dashboard's recalculation button (考核看板 › 重新计算) with the broker down: a quick answer
in Chinese that the background job could not be started, the run recorded as failed (so the
next click is not refused as 'still running'), no server error."""

import time

import pytest
from django.urls import reverse

from assessments.models import EvaluationRun
from tests.jobs.own_redis import broker_at, redis_server


@pytest.mark.django_db(transaction=True)
def test_the_recalculation_button_with_the_broker_down_answers_at_once(client, world, settings):
    client.force_login(world.reviewer)
    url = reverse("assessments:evaluate")
    data = {"period": "2026-09", "region": world.township_a.code}
    with redis_server() as server, broker_at(server.url, settings):
        server.stop()
        for _click in range(2):
            started = time.monotonic()
            response = client.post(url, data)
            assert time.monotonic() - started < 5
            assert response.status_code == 302
            page = client.get(response["Location"])
            assert page.status_code == 200
            html = page.content.decode()
            assert "后台任务无法启动" in html
            assert "正在计算" not in html  # the failed run does not block the next click
        runs = list(EvaluationRun.objects.values_list("status", flat=True))
        assert runs == [EvaluationRun.Status.FAILED] * 2
