"""Activities (主题党日、党课、志愿服务 …): sign-ups with a waiting list, attendance, closing."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, model_validator
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, Instant, TimeField
from app.models.user import PHONE_PATTERN, UserBrief

ACTIVITY_KINDS = [
    "主题党日",
    "党课",
    "志愿服务",
    "文体活动",
    "政策宣讲",
    "议事会",
    "联席会议",
    "民情研判会",
    "其他",
]


class SignupStatus(StrEnum):
    signed_up = "signed_up"
    waiting = "waiting"
    cancelled = "cancelled"


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (CheckConstraint("signed_up >= 0", name="signed_up_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    title: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    description: str = Field(default="", max_length=2000)
    starts_at: datetime = TimeField(index=True)
    ends_at: datetime = TimeField()
    location: str = Field(default="", max_length=200)
    capacity: int
    # Places taken: moved only by conditional UPDATEs (signed_up < capacity), so never over capacity.
    signed_up: int = 0
    credit_minutes: int = 0
    signup_required: bool = True
    # A member unit hosting it in a community it is assigned to (共驻共建): the activity belongs to the
    # place (org_id, so it counts there) and the unit's staff organise it.
    host_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    closed_at: datetime | None = TimeField(default=None, nullable=True)
    # How many closes were undone: each undo starts a new crediting round (see `credit_ref`).
    close_round: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)  # run by a volunteer team
    created_at: datetime = CreatedAt()


class ActivitySignup(SQLModel, table=True):
    __tablename__ = "activity_signups"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(default=SignupStatus.signed_up, max_length=20, index=True)
    no_show: bool = False
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class Attendance(SQLModel, table=True):
    __tablename__ = "activity_attendances"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    method: str = Field(max_length=20)  # code / ticket / phone
    acted_by_id: int | None = Field(default=None, foreign_key="users.id")
    signed_in_at: datetime = CreatedAt()
    signed_out_at: datetime | None = TimeField(default=None, nullable=True)
    credited_minutes: int | None = None
    # When the crediting rule settled it (sign-out or close): the date its minutes count on.
    credited_at: datetime | None = TimeField(default=None, nullable=True, index=True)
    # The activity's crediting round the credit was settled in (its ledger reference), and whether
    # the close settled it (an undo of that close takes back only those).
    credit_round: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    credited_by_close: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


def credit_ref(activity_id: int, close_round: int) -> tuple[str, int]:
    """The ledger reference (ref_type, ref_id) of an attendance credit settled in `close_round`.

    The first round's is ("activity", id). An undone close reverses its credits, and the ledger keeps
    each (ref_type, ref_id, person) once, so a later round credits under its own ("activity:1", id).
    """
    return ("activity", activity_id) if close_round == 0 else (f"activity:{close_round}", activity_id)


def credit_ref_kind(ref_type: str) -> str:
    """The source a ledger reference names, whatever the round ("activity:2" → "activity")."""
    return ref_type.split(":", 1)[0]


# --- schemas -----------------------------------------------------------------------------------


class ActivityCreate(Input):
    org_id: Id
    title: str = PField(min_length=1, max_length=100)
    kind: str = PField(
        description="主题党日、党课、志愿服务、文体活动、政策宣讲、议事会 …", min_length=1, max_length=20
    )
    description: str = PField("", max_length=2000)
    starts_at: Instant
    ends_at: Instant
    location: str = PField("", max_length=200)
    capacity: int = PField(ge=1, le=10000)
    credit_minutes: int = PField(0, ge=0, le=24 * 60)
    signup_required: bool = PField(True, description="签到是否须先报名")
    team_id: Id | None = PField(None, description="由哪支志愿服务队、党员先锋队承办")
    host_org_id: Id | None = PField(None, description="主办的共建单位（在其分配的社区举办时）")

    @model_validator(mode="after")
    def _order(self) -> "ActivityCreate":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("时间须带时区")
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间须晚于开始时间")
        return self


class ActivityPublic(BaseModel):
    id: int
    org_id: int
    title: str
    kind: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    signed_up: int
    waiting: int = 0
    credit_minutes: int
    host_org_id: int | None = None
    service: bool = PField(
        False, description="是否志愿服务类（计入时间银行和星级）；党课、会议等只记出勤，不计时长"
    )
    signup_required: bool
    closed: bool
    closed_at: datetime | None = None
    undo_close_until: datetime | None = PField(
        None, description="结束后 10 分钟内组织者可撤销结束：撤销的截止时间；已过或未结束为 null"
    )
    team_id: int | None = None
    my_status: str | None = PField(None, description="我的报名状态：signed_up / waiting / cancelled / null")
    attended: bool = False
    is_organiser: bool = False


class SignupPublic(BaseModel):
    activity_id: int
    user_id: int
    status: SignupStatus
    position: int | None = PField(None, description="候补时排第几位")


class AttendanceIn(Input):
    phone: str = PField(pattern=PHONE_PATTERN)
    name: str | None = PField(None, min_length=1, max_length=50, description="尚未注册的居民：代为登记的姓名")
    over_capacity: bool = PField(
        False, description="名额已满时组织者仍让现场来的居民参加（记入操作日志）；否则 409 activity_full"
    )


class TicketIn(Input):
    token: str = PField(min_length=4, max_length=600)


class SignoutIn(Input):
    token: str | None = PField(
        None, max_length=600, description="签退时再扫一次现场码（组织者代签退时不需要）"
    )
    phone: str | None = PField(None, pattern=PHONE_PATTERN, description="组织者为他人签退时填写")


class AttendancePublic(BaseModel):
    activity_id: int
    user: UserBrief
    method: str
    signed_in_at: datetime
    signed_out_at: datetime | None
    credited_minutes: int | None
    duplicate: bool = False


ROSTER_LABELS = {
    "waiting": "候补",
    "signed_up": "已报名",
    "attended": "已签到",
    "signed_out": "已签退",
    "no_show": "缺席",
    "walk_in": "现场签到",
}


class RosterRow(BaseModel):
    """One person on an activity's list, as the organiser sees it."""

    user: UserBrief
    state: str = PField(description="waiting / signed_up / attended / signed_out / no_show / walk_in")
    state_label: str
    signed_in_at: datetime | None = None
    signed_out_at: datetime | None = None
    credited_minutes: int | None = None


class ActivityClosed(BaseModel):
    activity_id: int
    closed_at: datetime
    attended: int
    credited: int = PField(description="本次关闭时记入时间银行的人数（重复关闭为 0）")
    no_shows: int


class ActivityStats(BaseModel):
    activity_id: int
    signed_up: int
    attended: int
    no_shows: int
    attendance_rate: float = PField(description="签到人数 / 报名人数（无人报名时为 0）")
    no_show_rate: float


class TicketPublic(BaseModel):
    token: str
    activity_id: int
