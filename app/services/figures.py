"""One definition per figure (台账口径): what each statistic counts and the date that places it in a period.

Every figure is counted on the date its own event happened (a wish on the day it was posted, claimed or
verified; service minutes on the day they were credited), never on the date of some other step, so a
monthly series sums to the period's total. `stats` builds its queries from `dated`, the workbook and the
dashboard take their labels and explanations from here, and the README's table is `markdown_table()`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from app.models.activities import Activity, Attendance
from app.models.events import GridEvent
from app.models.feedback import MemberFeedback
from app.models.member_reports import MemberReport
from app.models.stations import Checkin, ShiftSignup
from app.models.wishes import Wish, WishClaim, WishEvent


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
    Figure("wishes.published", "心愿上墙", "本期审核通过上墙的心愿（首次上墙）", WishEvent.at),
    Figure("wishes.claimed", "心愿认领", "本期首次被认领的心愿", WishClaim.claimed_at),
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
    Figure("attendances", "签到人次", "本期的活动签到（含党课、会议）", Attendance.signed_in_at, "人次"),
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
