"""Meetings (红色议事会, 共驻共建联席会议, 民情研判会): minutes, resolutions (公示), action items, chair rotation.

A meeting is an activity of a meeting kind; what it decides is kept here beside it.
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, model_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Id, Input, TimeField

# How many photos a meeting's minutes, and an action item, may keep.
MAX_MINUTES_PHOTOS = 9
MAX_ITEM_PHOTOS = 3

# The activity kinds that are meetings: only these keep minutes, resolutions and action items.
MEETING_KINDS = ("议事会", "联席会议", "民情研判会")
JOINT_MEETING = "联席会议"


class ActionItemStatus(StrEnum):
    open = "open"
    overdue = "overdue"
    done = "done"


ACTION_ITEM_LABELS = {"open": "进行中", "overdue": "已逾期", "done": "已办结"}


class MeetingMinutes(SQLModel, table=True):
    """What a meeting said and decided (会议纪要); one per meeting, rewritten by its organiser."""

    __tablename__ = "meeting_minutes"
    __table_args__ = (UniqueConstraint("activity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True)
    text: str = Field(max_length=5000)
    public: bool = False
    # The joint meeting's chair unit (轮值主席), kept so the next chair follows on from it.
    chair_unit_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    photos: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    written_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class MeetingResolution(SQLModel, table=True):
    """One resolution of a meeting (决议), shown to the community when the minutes are public (公示)."""

    __tablename__ = "meeting_resolutions"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True)
    position: int
    text: str = Field(max_length=500)


class ActionItem(SQLModel, table=True):
    """A follow-up a meeting gave to a person or a unit, with a due date (督办事项)."""

    __tablename__ = "action_items"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True)
    # The meeting's org node, copied so lists by subtree need no join.
    org_id: int = Field(foreign_key="orgs.id", index=True)
    text: str = Field(max_length=500)
    owner_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    owner_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    due_on: date = Field(index=True)
    status: str = Field(default=ActionItemStatus.open, max_length=20, index=True)
    escalated_org_id: int | None = Field(default=None, foreign_key="orgs.id")
    overdue_at: datetime | None = TimeField(default=None, nullable=True)
    # When it last climbed a level (as grid events do: one level a day while it stays undone).
    escalated_at: datetime | None = TimeField(default=None, nullable=True)
    done_note: str | None = Field(default=None, max_length=1000)
    photos: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    done_by_id: int | None = Field(default=None, foreign_key="users.id")
    done_at: datetime | None = TimeField(default=None, nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class ChairRotation(SQLModel, table=True):
    """The order in which units chair an org's joint meeting (轮值主席)."""

    __tablename__ = "chair_rotations"
    __table_args__ = (UniqueConstraint("org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = CreatedAt()


# --- schemas -----------------------------------------------------------------------------------


class ResolutionIn(Input):
    text: str = PField(min_length=1, max_length=500)


class MinutesIn(Input):
    text: str = PField(min_length=1, max_length=5000)
    public: bool = PField(False, description="决议向本社区居民公示")
    resolutions: list[ResolutionIn] = PField(default_factory=list, max_length=50)
    chair_unit_id: Id | None = PField(None, description="联席会议的轮值主席单位；不填则按轮值顺序取下一家")


class ResolutionPublic(BaseModel):
    id: int
    position: int
    text: str


class MinutesPublic(BaseModel):
    activity_id: int
    activity_title: str
    kind: str
    org_id: int
    starts_at: datetime
    text: str | None = PField(description="纪要正文（仅组织者、参会人和工作人员可见）")
    public: bool
    chair_unit_id: int | None
    chair_unit_name: str | None = None
    resolutions: list[ResolutionPublic]
    photos: list[str] = PField(default_factory=list, description="会议照片的地址（仅参会人和工作人员可见）")
    updated_at: datetime


class ActionItemCreate(Input):
    text: str = PField(min_length=1, max_length=500)
    owner_user_id: Id | None = None
    owner_org_id: Id | None = None
    due_on: Day

    @model_validator(mode="after")
    def _one_owner(self) -> "ActionItemCreate":
        if (self.owner_user_id is None) == (self.owner_org_id is None):
            raise ValueError("请指定一位责任人或一个责任单位（二选一）")
        return self


class ActionItemDone(Input):
    note: str = PField(min_length=1, max_length=1000)


class ActionItemPublic(BaseModel):
    id: int
    activity_id: int
    activity_title: str | None = None
    org_id: int
    text: str
    owner_user_id: int | None
    owner_name: str | None = None
    owner_org_id: int | None
    owner_org_name: str | None = None
    due_on: date
    status: ActionItemStatus
    escalated_org_id: int | None
    done_note: str | None
    done_at: datetime | None
    photos: list[str] = PField(default_factory=list, description="办结照片的地址")
    created_at: datetime
    can_mark_done: bool = False


class ChairRotationIn(Input):
    unit_ids: list[Id] = PField(max_length=100)


class ChairUnit(BaseModel):
    id: int
    name: str


class ChairRotationPublic(BaseModel):
    org_id: int
    unit_ids: list[int]
    units: list[ChairUnit]
    last_chair_unit_id: int | None = PField(description="上一次联席会议的轮值主席单位")
    next_chair_unit_id: int | None = PField(description="下一次联席会议的轮值主席单位（自动推荐）")
    next_chair_unit_name: str | None = None
