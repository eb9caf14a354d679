"""Hours are written one way everywhere: whole hours and minutes, exact, so shown sums agree."""

import pytest

from app.hours import hours_text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0分"),
        (None, "0分"),
        (2, "2分"),
        (45, "45分"),
        (60, "1小时"),
        (690, "11小时30分"),
        (735, "12小时15分"),
        (750, "12小时30分"),
        (-75, "−1小时15分"),
    ],
)
def test_hours_text(minutes, text):
    assert hours_text(minutes) == text


def test_shown_parts_add_up():
    # The case: 11.5 h + 45 min used to show "11.5 小时" + "0.8 小时" = "12.2".
    assert hours_text(690 + 45) == "12小时15分"
