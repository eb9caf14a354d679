"""Dates as people say them: 今天, 明天 周四 09:00, 明天 周四 09:00–13:00 (China time)."""

from datetime import datetime

from app import clock
from app.clock import CHINA


def local_time(value) -> str:
    """A UTC timestamp shown in China time (UTC+8), as people read it."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


WEEKDAYS = "一二三四五六日"


def day_label(value, today=None) -> str:
    """A China-time day as people say it: 今天, 昨天, 明天, else 12月3日 周四 (with the year if not this one)."""
    day = value.astimezone(CHINA).date() if isinstance(value, datetime) else value
    today = today or clock.today()
    named = {0: "今天", -1: "昨天", 1: "明天", 2: "后天"}.get((day - today).days)
    if named:
        return f"{named} 周{WEEKDAYS[day.weekday()]}"
    year = f"{day.year}年" if day.year != today.year else ""
    return f"{year}{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"


def moment(value) -> str:
    """An instant as people say it: 明天 周四 09:00 (see day_label)."""
    if value is None:
        return ""
    return f"{day_label(value)} {value.astimezone(CHINA):%H:%M}"


def when(start, end=None) -> str:
    """A span as people say it: 明天 周四 09:00–13:00, or both ends in full across days."""
    if end is None:
        return moment(start)
    if start.astimezone(CHINA).date() == end.astimezone(CHINA).date():
        return f"{moment(start)}–{end.astimezone(CHINA):%H:%M}"
    return f"{moment(start)} – {moment(end)}"
