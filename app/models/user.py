"""People: residents, party members, volunteers, staff; their profile as the API shows it."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, TimeField
from app.models.org import RolePublic
from app.validation import not_null

PHONE_PATTERN = r"^1[3-9]\d{9}$"


class MemberType(StrEnum):
    in_service = "in_service"
    retired = "retired"
    mobile = "mobile"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=11, unique=True, index=True)
    name: str = Field(default="", max_length=50)
    home_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    # Where a person without a home was registered (the activity, station, wish or role that
    # first brought them in): that alliance's staff, and nobody else, may act on their minutes.
    registered_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    is_party_member: bool = False
    member_type: str | None = Field(default=None, max_length=20)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    elderly_mode: bool = False
    wechat_openid: str | None = Field(default=None, max_length=64, unique=True)
    birth_year: int | None = None
    # Access tokens name the version they were issued at; bumping it (logout, sign out everywhere)
    # refuses every token issued before.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # An admin over the node the person belongs to may stop the account (spam, a stolen phone):
    # every token is refused and signing in is refused until they lift it.
    blocked_at: datetime | None = TimeField(default=None, nullable=True)
    blocked_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = CreatedAt()


class MePublic(BaseModel):
    id: int
    name: str
    phone: str | None
    home_org_id: int | None
    is_party_member: bool
    member_type: MemberType | None
    skills: list[str]
    elderly_mode: bool
    roles: list[RolePublic]


class MeUpdate(Input):
    name: str | None = PField(None, min_length=1, max_length=50)
    home_org_id: Id | None = None
    is_party_member: bool | None = None
    member_type: MemberType | None = None
    skills: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]] | None
    ) = PField(None, max_length=20)
    elderly_mode: bool | None = None
    birth_year: int | None = PField(None, ge=1900, le=2030)

    # Left out means unchanged; null would blank a column that has no empty state (member_type and home_org_id
    # may be cleared with null, these may not).
    _not_null = field_validator("name", "is_party_member", "skills", "elderly_mode")(not_null)


class ProfileCorrection(Input):
    """Staff correcting a field a person cannot change once set (their home, their birth year)."""

    home_org_id: Id | None = None
    birth_year: int | None = PField(None, ge=1900, le=2030)
    reason: str = PField(min_length=2, max_length=200)


class BlockIn(Input):
    reason: str = PField(min_length=2, max_length=200)


class PhoneChangeIn(Input):
    phone: str = PField(pattern=r"^1[3-9]\d{9}$")
    code: str = PField(pattern=r"^\d{6}$")


class UserBrief(BaseModel):
    """A person as others see them: the phone masked unless the viewer may see it."""

    id: int
    name: str
    phone: str | None
