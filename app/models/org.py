"""The organisation tree (alliance → community → compound → grid, units), roles and unit assignments."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input


class OrgKind(StrEnum):
    alliance = "alliance"
    community = "community"
    compound = "compound"
    grid = "grid"
    unit = "unit"


class RoleName(StrEnum):
    admin = "admin"
    staff = "staff"


# Which kind may hang under which: units hang under the alliance beside the communities.
CHILD_KINDS: dict[OrgKind, set[OrgKind]] = {
    OrgKind.alliance: {OrgKind.community, OrgKind.unit},
    OrgKind.community: {OrgKind.compound, OrgKind.grid},
    OrgKind.compound: {OrgKind.grid},
    OrgKind.grid: set(),
    OrgKind.unit: set(),
}

KIND_LABELS = {
    "alliance": "联盟总站",
    "community": "社区",
    "compound": "小区",
    "grid": "网格",
    "unit": "共建单位",
}
ROLE_LABELS = {"admin": "管理员", "staff": "工作人员"}


class Org(SQLModel, table=True):
    __tablename__ = "orgs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20, index=True)
    parent_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    # Materialised path "/1/5/12/": a subtree is one indexed prefix match, never a walk in Python.
    path: str = Field(default="", max_length=400, index=True)
    created_at: datetime = CreatedAt()


class Role(SQLModel, table=True):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    role: str = Field(max_length=20)
    created_at: datetime = CreatedAt()


class UnitCommunity(SQLModel, table=True):
    """A member unit assigned to a community (分配至社区分站, 共驻共建)."""

    __tablename__ = "unit_communities"
    __table_args__ = (UniqueConstraint("unit_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="orgs.id", index=True)
    community_id: int = Field(foreign_key="orgs.id", index=True)
    created_at: datetime = CreatedAt()


class OrgCreate(Input):
    name: str = PField(min_length=1, max_length=100)
    kind: OrgKind
    parent_id: Id | None = None


class OrgPublic(BaseModel):
    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str
    created_at: datetime


class RoleAssign(Input):
    phone: str = PField(pattern=r"^1[3-9]\d{9}$")
    role: RoleName


class RolePublic(BaseModel):
    org_id: int
    role: str


class RoleAssigned(BaseModel):
    user_id: int
    org_id: int
    role: str


class UnitCommunityIn(Input):
    community_id: Id


class UnitCommunityPublic(BaseModel):
    unit_id: int
    community_id: int
