"""The one source of 'now', so tests can move time forward."""

from datetime import UTC, date, datetime, timedelta, timezone

# The people using ejia read every date and time in China Standard Time.
CHINA = timezone(timedelta(hours=8))

_offset = timedelta(0)


def now() -> datetime:
    """The current time in UTC, shifted by any test travel."""
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today's date in China, where deadlines, promised dates and periods are meant."""
    return now().astimezone(CHINA).date()


def china_midnight(day: date | None = None) -> datetime:
    """The instant (UTC) China's calendar day `day` begins; today's by default."""
    day = day or today()
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)


def travel(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)
