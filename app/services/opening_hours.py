"""Whether a station is open now, read from the opening hours staff type ("8:00-20:00",
"周一至周五 9:00-17:00", "8:30-11:30, 14:00-17:30", "周六 9:00-12:00；周一至周五 8:00-18:00").

The text stays free (staff write what is on the door); what this can read decides 开放中 / 休息中,
and what it cannot read leaves the manual switch alone (None).
"""

import re
from datetime import datetime

from app.clock import CHINA

DAYS = "一二三四五六日天"
_DAY = rf"(?:周|星期)([{DAYS}])"
_RANGE = re.compile(rf"{_DAY}\s*(?:至|到|-|—|~)\s*{_DAY}")
_SINGLE = re.compile(_DAY)
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})\s*(?:-|—|–|~|至|到)\s*(\d{1,2})[:：](\d{2})")


def _weekday(ch: str) -> int:
    return 6 if ch in "日天" else DAYS.index(ch)


def _days(part: str) -> set[int] | None:
    """The weekdays a part names (None: every day)."""
    if m := _RANGE.search(part):
        a, b = _weekday(m.group(1)), _weekday(m.group(2))
        return set(range(a, b + 1)) if a <= b else set(range(a, 7)) | set(range(0, b + 1))
    found = {_weekday(ch) for ch in _SINGLE.findall(part)}
    return found or None


def open_now(text: str, at: datetime) -> bool | None:
    """True or False if the hours can be read, None if they cannot (or are empty)."""
    local = at.astimezone(CHINA)
    minute = local.hour * 60 + local.minute
    readable = False
    for part in re.split(r"[;；\n]", text or ""):
        spans = _TIME.findall(part)
        if not spans:
            continue
        readable = True
        days = _days(part)
        if days is not None and local.weekday() not in days:
            continue
        for h1, m1, h2, m2 in spans:
            start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
            if start <= minute < end or (end <= start and (minute >= start or minute < end)):
                return True
    return False if readable else None
