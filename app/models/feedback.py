"""The branch's feedback forms on its members (社区表现反馈表, 服务卡) and the alliance's settings for them."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Input
from app.models.user import UserBrief


class Rating(StrEnum):
    excellent = "excellent"
    qualified = "qualified"
    basic = "basic"
    unqualified = "unqualified"


RATING_LABELS = {"excellent": "优秀", "qualified": "合格", "basic": "基本合格", "unqualified": "不合格"}


class MemberFeedback(SQLModel, table=True):
    """The branch's rating of a member: the yearly form, or a quarterly service card (服务卡)."""

    __tablename__ = "member_feedback"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    year: int = Field(index=True)
    period: str = Field(max_length=10)  # "2026" (the yearly form) or "2026-Q3" (a service card)
    kind: str = Field(default="yearly", max_length=10)  # yearly / quarterly
    report_id: int = Field(foreign_key="member_reports.id")
    org_id: int = Field(foreign_key="orgs.id", index=True)
    employer_unit_id: int = Field(foreign_key="orgs.id", index=True)
    rating: str = Field(max_length=20)
    comment: str = Field(default="", max_length=500)
    rater_id: int | None = Field(default=None, foreign_key="users.id")
    rated_at: datetime = CreatedAt()


class MemberSettings(SQLModel, table=True):
    """How an alliance runs the reporting year: quarterly service cards, half-yearly re-reports."""

    __tablename__ = "member_settings"

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="orgs.id", unique=True)
    quarterly_service_cards: bool = False
    half_yearly_re_report: bool = False
    updated_at: datetime = CreatedAt()


class RatingIn(Input):
    rating: Rating
    comment: str = PField("", max_length=500)


class FeedbackPublic(BaseModel):
    id: int
    user: UserBrief
    year: int
    period: str
    kind: str
    org_id: int
    org_name: str | None = None
    employer_unit_id: int
    employer_unit_name: str | None = None
    rating: Rating
    rating_label: str
    comment: str
    rater_id: int | None
    rated_at: datetime


class MemberSettingsIn(Input):
    quarterly_service_cards: bool = False
    half_yearly_re_report: bool = False


class MemberSettingsPublic(BaseModel):
    alliance_id: int
    quarterly_service_cards: bool
    half_yearly_re_report: bool
