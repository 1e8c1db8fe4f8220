import datetime

import pytest
import time_machine

# 2026-12-01 10:00 in Asia/Shanghai: October (ends 10-31) is ended, submittable and, with the
# default 45 expiry days, open until 12-14; November is due by 12-10.
DEC_1 = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)


def at(day: datetime.date):
    """Travel to 10:00 Shanghai time on `day`."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 2, 0, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture(autouse=True)
def december_first():
    with time_machine.travel(DEC_1, tick=False):
        yield
