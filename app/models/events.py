"""Grid events (网格事件): 采集、上报、分派、处置、督查、反馈, with their history, due dates and escalation."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, Instant, TimeField
from app.models.user import UserBrief


class EventStatus(StrEnum):
    reported = "reported"
    dispatched = "dispatched"
    handled = "handled"
    checked = "checked"
    closed = "closed"


STATUS_LABELS = {
    "reported": "已上报",
    "dispatched": "处置中",
    "handled": "已处置",
    "checked": "已督查",
    "closed": "已办结",
}
# 意见箱 (the suggestion box) is a category of grid event.
CATEGORIES = [
    "环境卫生",
    "市容秩序",
    "设施维修",
    "治安隐患",
    "邻里纠纷",
    "民生诉求",
    "安全隐患",
    "意见箱",
    "其他",
]
ACTION_LABELS = {
    "report": "上报",
    "dispatch": "分派",
    "handle": "处置完毕",
    "check": "督查通过",
    "check_failed": "督查未通过，退回处置",
    "feedback": "反馈评价",
    "auto_close": "超过反馈期限，自动办结",
    "overdue": "超过处置期限",
    "escalate": "逾期未处置，上报上级",
}


class GridEvent(SQLModel, table=True):
    __tablename__ = "grid_events"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    category: str = Field(max_length=20, index=True)
    description: str = Field(max_length=1000)
    lat: float | None = None
    lng: float | None = None
    address: str = Field(default="", max_length=200)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reporter_id: int = Field(foreign_key="users.id", index=True)
    acted_by_id: int | None = Field(
        default=None, foreign_key="users.id"
    )  # who reported on the reporter's behalf
    status: str = Field(default=EventStatus.reported, max_length=20, index=True)
    handler_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    due_at: datetime | None = TimeField(default=None, nullable=True, index=True)
    dispatched_at: datetime | None = TimeField(default=None, nullable=True)
    handled_at: datetime | None = TimeField(default=None, nullable=True)
    handle_note: str | None = Field(default=None, max_length=1000)
    handled_on_time: bool | None = None
    checked_at: datetime | None = TimeField(default=None, nullable=True)
    check_note: str | None = Field(default=None, max_length=500)
    closed_at: datetime | None = TimeField(default=None, nullable=True)
    satisfied: bool | None = None
    feedback_comment: str | None = Field(default=None, max_length=500)
    overdue: bool = False
    escalation_level: int = 0
    escalated_org_id: int | None = Field(default=None, foreign_key="orgs.id")
    escalated_at: datetime | None = TimeField(default=None, nullable=True)
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class GridEventStep(SQLModel, table=True):
    """One step of an event's history."""

    __tablename__ = "grid_event_steps"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="grid_events.id", index=True)
    at: datetime = CreatedAt()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=1000)


# ---- API schemas ----


class EventCreate(Input):
    category: str = PField(min_length=1, max_length=20)
    description: str = PField(min_length=2, max_length=1000)
    org_id: Id
    lat: float | None = PField(None, ge=-90, le=90)
    lng: float | None = PField(None, ge=-180, le=180)
    address: str = PField("", max_length=200)
    on_behalf_of_phone: str | None = PField(None, pattern=r"^1[3-9]\d{9}$")


class DispatchIn(Input):
    handler_org_id: Id
    due_at: Instant


class HandleIn(Input):
    note: str = PField(min_length=1, max_length=1000)


class CheckIn(Input):
    ok: bool
    note: str | None = PField(None, max_length=500)
    due_at: Instant | None = None  # a new due date when the check fails


class EventFeedbackIn(Input):
    satisfied: bool
    comment: str | None = PField(None, max_length=500)


class EventStepPublic(BaseModel):
    at: datetime
    actor_id: int | None
    action: str
    note: str | None = None


class EventPublic(BaseModel):
    id: int
    org_id: int
    org_name: str | None = None
    category: str
    description: str
    lat: float | None
    lng: float | None
    address: str
    photos: list[str]
    status: EventStatus
    reporter: UserBrief
    acted_by_id: int | None
    handler_org_id: int | None
    handler_org_name: str | None = None
    due_at: datetime | None
    dispatched_at: datetime | None
    handled_at: datetime | None
    handle_note: str | None
    checked_at: datetime | None
    check_note: str | None
    closed_at: datetime | None
    satisfied: bool | None
    feedback_comment: str | None
    overdue: bool
    escalation_level: int
    escalated_org_id: int | None
    created_at: datetime
    events: list[EventStepPublic] = []
