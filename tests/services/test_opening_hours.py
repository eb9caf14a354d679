"""开放中 comes from the opening hours on the door, not only a manual switch (issue 14, item 9)."""

from datetime import datetime

import pytest

from app.clock import CHINA
from app.services.opening_hours import open_now

WED_10 = datetime(2026, 12, 2, 10, 0, tzinfo=CHINA)
WED_1230 = datetime(2026, 12, 2, 12, 30, tzinfo=CHINA)
SAT_10 = datetime(2026, 12, 5, 10, 0, tzinfo=CHINA)
WED_2330 = datetime(2026, 12, 2, 23, 30, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("hours", "at", "expected"),
    [
        ("8:00-20:00", WED_10, True),
        ("8:00-9:00", WED_10, False),
        ("周一至周五 9:00-17:00", SAT_10, False),
        ("周一至周五 9:00-17:00", WED_10, True),
        ("8:30-11:30, 14:00-17:30", WED_1230, False),
        ("8:30-11:30，14:00-17:30", WED_10, True),
        ("周六 9:00-12:00；周一至周五 8:00-18:00", SAT_10, True),
        ("周六至周日 9:00-12:00", WED_10, False),
        ("22:00-06:00", WED_2330, True),
        ("全天开放", WED_10, None),
        ("", WED_10, None),
        ("星期一到星期日 08：00-20：00", SAT_10, True),
    ],
)
def test_open_now_reads_what_staff_write_on_the_door(hours, at, expected):
    assert open_now(hours, at) is expected
