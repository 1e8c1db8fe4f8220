"""Fixtures of the scheduled-ledger tests: a real SMTP server (aiosmtpd) on a free local port,
Django's SMTP backend pointed at it, and a subscription with visits in and out of its period."""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from ledgers.models import Frequency, LedgerKind, LedgerSubscription, PeriodRule
from tests.factories import HouseholdFactory, VisitFactory, make_id_number

DECEMBER_1 = datetime.date(2026, 12, 1)


@dataclass
class Recorder:
    """The handler: keeps every message it accepts; answers 451 to the next `fail` DATA."""

    fail: int = 0
    refused: int = 0
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.fail:
            self.fail -= 1
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK: queued"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server of this test on 127.0.0.1; Django sends to it through SMTP."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "ledgers@pairing.example.cn"
    yield recorder
    controller.stop()


@dataclass
class Scene:
    world: object
    subscription: LedgerSubscription
    november_ids: list  # the full ID numbers of November's visited heads (county-wide)


@pytest.fixture
def scene(world):
    """The county reviewer's subscription: 走访台账 of the county, last month, monthly on day 1,
    to superior@example.cn; visits in November (both townships) and in October and December."""
    world.household_a.head_id_number = make_id_number("110105", 1970)
    world.household_a.save()
    other = HouseholdFactory(
        village=world.village_b, head_name="王五", head_id_number=make_id_number("110105", 1985)
    )
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2026, 11, 3)
    )
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2026, 11, 30)
    )
    VisitFactory(household=other, helper=world.helper_b, visited_on=datetime.date(2026, 11, 15))
    VisitFactory(
        household=world.household_a, helper=world.helper_a, visited_on=datetime.date(2026, 10, 31)
    )
    VisitFactory(household=other, helper=world.helper_b, visited_on=datetime.date(2026, 12, 1))
    subscription = LedgerSubscription.objects.create(
        kind=LedgerKind.VISIT,
        region=world.county,
        period_rule=PeriodRule.LAST_MONTH,
        frequency=Frequency.MONTHLY,
        day=1,
        recipients="superior@example.cn",
        start_date=datetime.date(2026, 11, 15),
        created_by=world.reviewer,
    )
    return Scene(
        world=world,
        subscription=subscription,
        november_ids=[world.household_a.head_id_number, other.head_id_number],
    )


@pytest.fixture
def eager_celery():
    """Tasks run in this process (as without a broker), Celery's retries included."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
