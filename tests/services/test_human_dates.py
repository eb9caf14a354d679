"""Dates as people say them (issue 14, item 8): 明天 周四 09:00–13:00, soonest activity first."""

from datetime import UTC, date, datetime

from app import clock
from app.clock import CHINA
from app.dates import moment, when


def _china(y, m, d, h, mi=0):
    """A China wall-clock time as the UTC instant the database keeps."""
    return datetime(y, m, d, h, mi, tzinfo=CHINA).astimezone(UTC)


def test_a_span_on_one_day_names_the_day_once(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 2))  # a Wednesday
    assert when(_china(2026, 12, 3, 9), _china(2026, 12, 3, 13)) == "明天 周四 09:00–13:00"
    assert when(_china(2026, 12, 2, 14, 30), _china(2026, 12, 2, 16)) == "今天 周三 14:30–16:00"
    assert moment(_china(2026, 12, 10, 8, 5)) == "12月10日 周四 08:05"


def test_a_span_across_days_and_years_says_both_ends(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 2))
    assert (
        when(_china(2026, 12, 31, 20), _china(2027, 1, 1, 2))
        == "12月31日 周四 20:00 – 2027年1月1日 周五 02:00"
    )
    assert when(_china(2026, 12, 3, 23), None) == "明天 周四 23:00"
