"""Co-building (共驻共建): agreements between member units and communities, and the yearly scores."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Id, Input, TimeField


class CoBuildingAgreement(SQLModel, table=True):
    """A signed co-building agreement between a member unit and a community (共驻共建协议)."""

    __tablename__ = "cobuilding_agreements"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="orgs.id", index=True)
    community_id: int = Field(foreign_key="orgs.id", index=True)
    signed_on: date
    term_months: int
    commitments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class CoBuildingAssessment(SQLModel, table=True):
    """The score a community gives a member unit's co-building work for a year (考核赋分)."""

    __tablename__ = "cobuilding_assessments"
    __table_args__ = (UniqueConstraint("unit_id", "community_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="orgs.id", index=True)
    community_id: int = Field(foreign_key="orgs.id", index=True)
    year: int
    score: int
    reasons: str = Field(max_length=1000)
    rater_id: int | None = Field(default=None, foreign_key="users.id")
    rated_at: datetime = CreatedAt()
    # Itemised scores (items set by the alliance: name, weight, auto figure, score, reason); `score` is their
    # weighted total. Approved (审定) by the alliance admin, after which nothing changes.
    items: list[dict] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    approved_by_id: int | None = Field(default=None, foreign_key="users.id")
    approved_at: datetime | None = TimeField(default=None, nullable=True)


class AgreementCreate(Input):
    community_id: Id
    signed_on: Day
    term_months: int = PField(ge=1, le=120)
    commitments: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ] = PField(default_factory=list, max_length=30)


class AgreementPublic(BaseModel):
    id: int
    unit_id: int
    unit_name: str | None = None
    community_id: int
    community_name: str | None = None
    signed_on: date
    term_months: int
    ends_on: date
    commitments: list[str]
    created_at: datetime


class AssessmentIn(Input):
    community_id: Id
    score: int = PField(ge=0, le=100)
    reasons: str = PField(min_length=1, max_length=1000)


class AssessmentPublic(BaseModel):
    id: int
    unit_id: int
    unit_name: str | None = None
    community_id: int
    community_name: str | None = None
    year: int
    score: int
    reasons: str
    rated_at: datetime
    items: list[dict] = PField(
        default_factory=list, description="逐项评分：item, weight, source, auto（自动指标值）, score, reason"
    )
    total: float | None = PField(None, description="逐项评分的加权总分")
    approved: bool = False
    approved_at: datetime | None = None
