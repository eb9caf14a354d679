"""In-service party members reporting to the branch where they live (在职党员双报到)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, TimeField
from app.models.user import UserBrief


class ReportStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    moved = "moved"  # the member moved to another branch; a new report carries on


REPORT_STATUS_LABELS = {"pending": "待审核", "approved": "已报到", "rejected": "未通过", "moved": "已转出"}
ACTIVE_REPORT_STATES = frozenset({ReportStatus.pending, ReportStatus.approved})
MEMBER_TYPE_LABELS = {"in_service": "在职党员", "retired": "离退休党员", "mobile": "流动党员"}


class MemberReport(SQLModel, table=True):
    """A party member's report to the branch where they live, for one period (a year, or a half year)."""

    __tablename__ = "member_reports"
    # `active` is 1 while pending/approved and NULL after: NULLs never collide, so the database
    # itself keeps one active report per member per period, however many requests race.
    __table_args__ = (UniqueConstraint("user_id", "period", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    employer_unit_id: int = Field(foreign_key="orgs.id", index=True)
    year: int = Field(index=True)
    period: str = Field(max_length=10)  # "2026", or "2026-H2" where the alliance asks for half-yearly reports
    status: str = Field(default=ReportStatus.pending, max_length=20, index=True)
    active: int | None = Field(default=1)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=300)
    previous_id: int | None = Field(default=None, foreign_key="member_reports.id")
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = TimeField(default=None, nullable=True)
    reject_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class MemberReportStep(SQLModel, table=True):
    """One step of a report's history: reported, approved, rejected, moved."""

    __tablename__ = "member_report_steps"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="member_reports.id", index=True)
    at: datetime = CreatedAt()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=300)


# ---- API schemas ----

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class ReportCreate(Input):
    employer_unit_id: Id
    org_id: Id
    skills: list[Skill] = PField(default_factory=list, max_length=20)
    availability: str = PField("", max_length=100)
    note: str | None = PField(None, max_length=300)


class ReportReview(Input):
    approve: bool
    reason: str | None = PField(None, max_length=200)


class ReportMove(Input):
    org_id: Id
    note: str | None = PField(None, max_length=300)


class ReportStepPublic(BaseModel):
    at: datetime
    actor_id: int | None
    action: str
    note: str | None = None


class ReportPublic(BaseModel):
    id: int
    user: UserBrief
    member_type: str | None
    org_id: int
    org_name: str | None = None
    employer_unit_id: int
    employer_unit_name: str | None = None
    year: int
    period: str
    status: ReportStatus
    skills: list[str]
    availability: str
    note: str
    previous_id: int | None
    reject_reason: str | None
    reviewed_at: datetime | None
    created_at: datetime
    events: list[ReportStepPublic] = []
