"""Processes for tests/deploy/test_embedded_worker.py, run as `python embedded_process.py MODE …`
with DATABASE_URL (a SQLite file), CELERY_EMBEDDED_QUEUE_DIR and MEDIA_ROOT set by the test and
no broker configured (the embedded default, as `dev.py start` runs it):

- `seed N`: a county, township and village with N paired households and a reviewer (password
  tests.factories.TEST_PASSWORD); prints the county's code;
- `worker SECONDS_PER_ROW ARG…`: the embedded worker with the arguments dev.py gives it
  (`dev.embedded_worker_commands()`), its pairing ledger slowed down and reporting progress every
  5 rows, so the test sees the progress rise."""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()


def seed(count: str) -> None:
    from accounts.models import Role
    from tests.factories import (
        CadreFactory,
        HouseholdFactory,
        HouseholdPairingFactory,
        UserFactory,
        VillageFactory,
        make_county,
        make_township,
    )

    county = make_county("后台县")
    village = VillageFactory(township=make_township(county, "后台镇"), name="后台村")
    helper = CadreFactory(name="帮扶人")
    for i in range(int(count)):
        household = HouseholdFactory(village=village, head_name=f"户{i:03d}")
        HouseholdPairingFactory(household=household, helper=helper)
    UserFactory(username="reviewer", role=Role.REVIEWER, region=county)
    print(county.code, flush=True)


def worker(seconds_per_row: str, *argv: str) -> None:
    from config.celery import app
    from ledgers import services
    from ledgers.exporters import PairingLedger

    services.PROGRESS_EVERY = 5
    rows = PairingLedger.rows
    pause = float(seconds_per_row)

    def slow_rows(self):
        for row in rows(self):
            time.sleep(pause)
            yield row

    PairingLedger.rows = slow_rows
    app.worker_main(list(argv[argv.index("worker") :]))


if __name__ == "__main__":
    {"seed": seed, "worker": worker}[sys.argv[1]](*sys.argv[2:])
