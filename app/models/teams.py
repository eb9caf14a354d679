"""Volunteer teams (志愿服务队, 党员先锋队 …): a team on an org node, its leader and members."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, TimeField
from app.validation import not_null


class TeamKind(StrEnum):
    volunteer = "volunteer"
    vanguard = "vanguard"
    other = "other"


TEAM_KIND_LABELS = {"volunteer": "志愿服务队", "vanguard": "党员先锋队", "other": "其他队伍"}


class MemberStatus(StrEnum):
    invited = "invited"  # the leader asked; the person joins by accepting
    pending = "pending"  # the person asked; the leader (or staff) approves
    active = "active"


MEMBER_STATUS_LABELS = {"invited": "已邀请", "pending": "待审核", "active": "队员"}


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    name: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    leader_id: int = Field(foreign_key="users.id", index=True)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    service_area: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=300)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class TeamMember(SQLModel, table=True):
    """One person in a team: invited or pending until accepted or approved, then active."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(max_length=10)
    created_at: datetime = CreatedAt()
    joined_at: datetime | None = TimeField(default=None, nullable=True)


# ---- API schemas ----

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class TeamCreate(Input):
    name: str = PField(min_length=2, max_length=40)
    kind: TeamKind
    org_id: Id
    leader_id: Id | None = None
    leader_phone: str | None = PField(
        None, pattern=r"^1[3-9]\d{9}$", description="或以手机号指定队长（新号码自动建档）"
    )
    skills: list[Skill] = PField(default_factory=list, max_length=20)
    service_area: str = PField("", max_length=100)
    description: str = PField("", max_length=300)


class TeamUpdate(Input):
    name: str | None = PField(None, min_length=2, max_length=40)
    kind: TeamKind | None = None
    leader_id: Id | None = None
    skills: list[Skill] | None = PField(None, max_length=20)
    service_area: str | None = PField(None, max_length=100)
    description: str | None = PField(None, max_length=300)
    active: bool | None = None

    _not_null = field_validator(
        "name", "kind", "leader_id", "skills", "service_area", "description", "active"
    )(not_null)


class TeamInvite(Input):
    phone: str = PField(pattern=r"^1[3-9]\d{9}$")


class TeamMemberPublic(BaseModel):
    user_id: int
    name: str
    phone: str | None = None
    status: MemberStatus
    is_leader: bool = False


class TeamStats(BaseModel):
    members: int
    pending: int
    wishes_done: int
    minutes_served: int
    hours: float
    activities: int = 0


class TeamPublic(BaseModel):
    id: int
    org_id: int
    org_name: str | None = None
    name: str
    kind: TeamKind
    kind_label: str
    leader_id: int
    leader_name: str | None = None
    skills: list[str]
    service_area: str
    description: str
    active: bool
    created_at: datetime
    my_status: MemberStatus | None = None
    may_manage: bool = False
    members: list[TeamMemberPublic] = []
    stats: TeamStats | None = None
