"""扫码为你服务: a member's public card — the promises they make to their neighbours (承诺事项)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input
from app.models.demonstration import DemonstrationPostPublic


class MemberCard(SQLModel, table=True):
    """What a member shows on their public card; no row means no promises yet."""

    __tablename__ = "member_cards"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    commitments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = CreatedAt()


Promise = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]


class CardUpdate(Input):
    commitments: list[Promise] = PField(max_length=10)


class CardPublic(BaseModel):
    """The member's own view of their card: the code, the page it opens, and their promises."""

    user_id: int
    code: str
    url: str
    commitments: list[str]


class TeamBrief(BaseModel):
    id: int
    name: str
    kind_label: str


class PublicProfile(BaseModel):
    """What anyone signed in sees after scanning a card: no phone number beyond the masked one."""

    code: str
    user_id: int
    name: str
    phone: str | None
    org_name: str | None = None
    is_party_member: bool
    member_type_label: str | None = None
    skills: list[str]
    commitments: list[str]
    demonstration_posts: list[DemonstrationPostPublic] = []
    teams: list[TeamBrief] = []


class HelpRequest(Input):
    title: str = PField(min_length=2, max_length=40)
    description: str = PField("", max_length=500)
    category: str = PField("其他", min_length=1, max_length=20)
    team_id: Id | None = None  # ask the member's team instead of the member
