"""One definition per figure (台账口径): what each statistic counts and the date that places it in a period.

Every figure is counted on the date its own event happened (a wish on the day it was posted, claimed or
verified; service minutes on the day they were credited), never on the date of some other step, so a
monthly series sums to the period's total. `stats` builds its queries from `dated`, the workbook and the
dashboard take their labels and explanations from here, and the README's table is `markdown_table()`.

`rows(key, ...)` is the one query of the records each figure counts (or sums): the domain services count
it, and the dashboard's "records behind a figure" list it, so a figure and its list cannot disagree.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, literal, null, or_, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select

from app.models.activities import Activity, ActivitySignup, Attendance
from app.models.events import EventStatus, GridEvent
from app.models.feedback import MemberFeedback
from app.models.member_reports import MemberReport, ReportStatus
from app.models.stations import Checkin, CheckinKind, DutyShift, ShiftSignup, Station
from app.models.wishes import Wish
from app.permissions import in_subtree


@dataclass(frozen=True)
class Figure:
    key: str  # the field in /orgs/{id}/stats
    label: str  # its Chinese name on the dashboard and in workbooks
    counts: str  # what is counted (中文, shown beside the figure)
    dated_by: object  # the column whose date places a record in a period
    unit: str = "个"  # 个 / 人 / 人次 / 场 / 时长 / 比率


# The table. Change a definition here and everything that shows the figure follows.
FIGURES: tuple[Figure, ...] = (
    Figure("wishes.posted", "心愿发布", "本期提交的心愿（不论此后状态）", Wish.created_at),
    Figure("wishes.published", "心愿上墙", "本期审核通过上墙的心愿（首次上墙）", Wish.first_published_at),
    Figure("wishes.claimed", "心愿认领", "本期首次被认领的心愿", Wish.first_claimed_at),
    Figure("wishes.verified", "心愿验收", "本期验收的心愿", Wish.verified_at),
    Figure(
        "minutes_served",
        "服务时长",
        "本期记入时间银行的志愿服务时长：心愿（验收时）、服务类活动（签退或结束时）、驿站值班（结束时）",
        Wish.verified_at,
        "时长",
    ),
    Figure("wish_minutes", "心愿服务时长", "本期验收的心愿记入的时长", Wish.verified_at, "时长"),
    Figure(
        "activity_minutes",
        "活动服务时长",
        "本期服务类活动记入的时长（党课、会议只记出勤，不记时长）",
        Attendance.credited_at,
        "时长",
    ),
    Figure("duty_minutes", "驿站值班时长", "本期结算的驿站值班时长", ShiftSignup.credited_at, "时长"),
    Figure("volunteers", "参与服务人数", "本期有服务时长记入的人（去重）", Wish.verified_at, "人"),
    Figure("beneficiaries", "受益群众人数", "本期验收的心愿的许愿人（去重）", Wish.verified_at, "人"),
    Figure("activities", "活动场次", "本期开始的活动", Activity.starts_at, "场"),
    Figure("attendances", "签到人次", "本期开始的活动的签到（含党课、会议）", Activity.starts_at, "人次"),
    Figure("no_shows", "报名未到人次", "本期开始的活动中报名未到的", Activity.starts_at, "人次"),
    Figure("station_visits", "驿站到访人次", "本期扫码到站", Checkin.at, "人次"),
    Figure(
        "members_reported",
        "在职党员报到人数",
        "本期报到的党员（去重，不含驳回）",
        MemberReport.created_at,
        "人",
    ),
    Figure("members_rated", "年度评价人数", "本期写下的年度评价", MemberFeedback.rated_at, "人"),
    Figure("events.reported", "网格事件上报", "本期上报的事件", GridEvent.created_at),
    Figure(
        "events.closed", "网格事件办结", "本期群众满意办结的事件（不满意的退回重办）", GridEvent.closed_at
    ),
    Figure("events.overdue", "网格事件逾期", "处置期限在本期、已过期限仍未处置的事件", GridEvent.due_at),
    Figure(
        "events.on_time_rate",
        "按期处置率",
        "处置期限在本期且已到期的事件中，按期处置的比例；到期未处置的计为逾期",
        GridEvent.due_at,
        "比率",
    ),
)
BY_KEY = {f.key: f for f in FIGURES}


def dated(key: str, lo: datetime, hi: datetime, column=None) -> ColumnElement[bool]:
    """The figure's own date falls in [lo, hi) (`column` when a query reads the date under another name)."""
    col = column if column is not None else BY_KEY[key].dated_by
    return and_(col >= lo, col < hi)


def label(key: str) -> str:
    return BY_KEY[key].label


def markdown_table() -> str:
    """The table as the README shows it."""
    rows = ["| 指标 | 字段 | 口径 | 计入日期 |", "|---|---|---|---|"]
    for f in FIGURES:
        column = f"{f.dated_by.class_.__tablename__}.{f.dated_by.key}"
        rows.append(f"| {f.label} | `{f.key}` | {f.counts} | `{column}` |")
    return "\n".join(rows)


# ---- the records behind each figure ----

# Every record query gives the same columns: `ref` (the record's id, or the person's for a count of
# people), `at` (the date that places it in the period), `title`, `person_id`, `org_id` and `minutes`.
SERVICE_SOURCES = ("wish_minutes", "activity_minutes", "duty_minutes")
RATES = {"events.on_time_rate"}  # a share, not a count: its records are those it is taken over


def _cols(ref: Any, at: Any, title: Any, person: Any, org: Any, minutes: Any = None) -> tuple:
    return (
        ref.label("ref"),
        at.label("at"),
        title.label("title"),
        person.label("person_id"),
        org.label("org_id"),
        (minutes if minutes is not None else cast(null(), Integer)).label("minutes"),
    )


def event_condition(key: str, lo: datetime, hi: datetime, now: datetime) -> ColumnElement[bool]:
    """Which grid events an event figure counts (`events.on_time_rate`: those its share is taken over)."""
    open_overdue = and_(
        GridEvent.status == EventStatus.dispatched,
        or_(GridEvent.overdue.is_(True), GridEvent.due_at < now),
    )
    if key == "events.reported":
        return dated(key, lo, hi)
    if key == "events.closed":
        return and_(GridEvent.status == EventStatus.closed, dated(key, lo, hi))
    if key == "events.overdue":
        return and_(dated(key, lo, hi), open_overdue)
    if key == "events.on_time_rate":
        return and_(dated(key, lo, hi), or_(GridEvent.handled_on_time.is_not(None), open_overdue))
    raise KeyError(key)


def _activities_in(path: str, lo: datetime, hi: datetime):
    return select(Activity.id).where(in_subtree(Activity.org_id, path), dated("activities", lo, hi))


def rows(key: str, *, path: str, lo: datetime, hi: datetime, now: datetime):  # noqa: PLR0911, C901
    """The records figure `key` counts in the subtree at `path` over [lo, hi) (a Select)."""
    if key in RATES or key.startswith("events."):
        return select(
            *_cols(
                GridEvent.id,
                GridEvent.created_at,
                GridEvent.description,
                GridEvent.reporter_id,
                GridEvent.org_id,
            )
        ).where(in_subtree(GridEvent.org_id, path), event_condition(key, lo, hi, now))
    here = in_subtree(Wish.org_id, path)
    if key == "wishes.posted":
        return select(*_cols(Wish.id, Wish.created_at, Wish.title, Wish.poster_id, Wish.org_id)).where(
            here, dated(key, lo, hi)
        )
    if key == "wishes.published":
        return select(
            *_cols(Wish.id, Wish.first_published_at, Wish.title, Wish.poster_id, Wish.org_id)
        ).where(here, dated(key, lo, hi))
    if key == "wishes.claimed":
        return select(*_cols(Wish.id, Wish.first_claimed_at, Wish.title, Wish.claimer_id, Wish.org_id)).where(
            here, dated(key, lo, hi)
        )
    if key in ("wishes.verified", "wish_minutes"):
        stmt = select(
            *_cols(Wish.id, Wish.verified_at, Wish.title, Wish.claimer_id, Wish.org_id, Wish.credit_minutes)
        ).where(here, dated(key, lo, hi))
        return stmt.where(Wish.credit_minutes > 0) if key == "wish_minutes" else stmt
    if key == "activity_minutes":
        return (
            select(
                *_cols(
                    Attendance.id,
                    Attendance.credited_at,
                    Activity.title,
                    Attendance.user_id,
                    Activity.org_id,
                    Attendance.credited_minutes,
                )
            )
            .join(Activity, Activity.id == Attendance.activity_id)
            .where(in_subtree(Activity.org_id, path), dated(key, lo, hi), Attendance.credited_minutes > 0)
        )
    if key == "duty_minutes":
        return (
            select(
                *_cols(
                    ShiftSignup.id,
                    ShiftSignup.credited_at,
                    Station.name,
                    ShiftSignup.user_id,
                    Station.org_id,
                    ShiftSignup.served_minutes,
                )
            )
            .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
            .join(Station, Station.id == DutyShift.station_id)
            .where(in_subtree(Station.org_id, path), dated(key, lo, hi), ShiftSignup.served_minutes > 0)
        )
    if key == "minutes_served":
        return union_all(*(rows(k, path=path, lo=lo, hi=hi, now=now) for k in SERVICE_SOURCES))
    if key == "volunteers":
        pieces = rows("minutes_served", path=path, lo=lo, hi=hi, now=now).subquery()
        return (
            select(
                *_cols(
                    pieces.c.person_id,
                    func.max(pieces.c.at),
                    literal("服务时长合计"),
                    pieces.c.person_id,
                    func.max(pieces.c.org_id),
                    func.sum(pieces.c.minutes),
                )
            )
            .where(pieces.c.person_id.is_not(None))
            .group_by(pieces.c.person_id)
        )
    if key == "beneficiaries":
        return (
            select(
                *_cols(
                    Wish.poster_id,
                    func.max(Wish.verified_at),
                    func.max(Wish.title),
                    Wish.poster_id,
                    func.max(Wish.org_id),
                )
            )
            .where(here, dated(key, lo, hi))
            .group_by(Wish.poster_id)
        )
    if key == "activities":
        return select(
            *_cols(Activity.id, Activity.starts_at, Activity.title, Activity.created_by_id, Activity.org_id)
        ).where(Activity.id.in_(_activities_in(path, lo, hi)))
    if key == "attendances":  # the sign-ins of the period's activities (党课、会议 included)
        return (
            select(
                *_cols(
                    Attendance.id,
                    Activity.starts_at,
                    Activity.title,
                    Attendance.user_id,
                    Activity.org_id,
                )
            )
            .join(Activity, Activity.id == Attendance.activity_id)
            .where(Attendance.activity_id.in_(_activities_in(path, lo, hi)))
        )
    if key == "no_shows":
        return (
            select(
                *_cols(
                    ActivitySignup.id,
                    Activity.starts_at,
                    Activity.title,
                    ActivitySignup.user_id,
                    Activity.org_id,
                )
            )
            .join(Activity, Activity.id == ActivitySignup.activity_id)
            .where(
                ActivitySignup.activity_id.in_(_activities_in(path, lo, hi)), ActivitySignup.no_show.is_(True)
            )
        )
    if key == "station_visits":
        return (
            select(*_cols(Checkin.id, Checkin.at, Station.name, Checkin.user_id, Station.org_id))
            .join(Station, Station.id == Checkin.station_id)
            .where(in_subtree(Station.org_id, path), Checkin.kind == CheckinKind.visit, dated(key, lo, hi))
        )
    if key == "members_reported":
        return (
            select(
                *_cols(
                    MemberReport.user_id,
                    func.max(MemberReport.created_at),
                    func.max(MemberReport.period),
                    MemberReport.user_id,
                    func.max(MemberReport.org_id),
                )
            )
            .where(
                in_subtree(MemberReport.org_id, path),
                MemberReport.status != ReportStatus.rejected,
                dated(key, lo, hi),
            )
            .group_by(MemberReport.user_id)
        )
    if key == "members_rated":
        return select(
            *_cols(
                MemberFeedback.id,
                MemberFeedback.rated_at,
                MemberFeedback.rating,
                MemberFeedback.user_id,
                MemberFeedback.org_id,
            )
        ).where(in_subtree(MemberFeedback.org_id, path), MemberFeedback.kind == "yearly", dated(key, lo, hi))
    raise KeyError(key)


def count(key: str, *, path: str, lo: datetime, hi: datetime, now: datetime):
    """SQL: how many records figure `key` counts (a scalar subquery)."""
    return (
        select(func.count())
        .select_from(rows(key, path=path, lo=lo, hi=hi, now=now).subquery())
        .scalar_subquery()
    )


def total_minutes(key: str, *, path: str, lo: datetime, hi: datetime, now: datetime):
    """SQL: the minutes a time figure sums (a scalar subquery)."""
    sub = rows(key, path=path, lo=lo, hi=hi, now=now).subquery()
    return select(func.coalesce(func.sum(sub.c.minutes), 0)).scalar_subquery()
