"""The service resources member units offer the communities (服务资源清单)."""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input


class UnitResource(SQLModel, table=True):
    """A service a member unit offers the communities (服务资源清单)."""

    __tablename__ = "unit_resources"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="orgs.id", index=True)
    title: str = Field(max_length=60)
    description: str = Field(default="", max_length=500)
    category: str = Field(max_length=20)
    contact_name: str = Field(default="", max_length=50)
    contact_phone: str | None = Field(default=None, max_length=11)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class ResourceCreate(Input):
    unit_id: Id
    title: str = PField(min_length=2, max_length=60)
    description: str = PField("", max_length=500)
    category: str = PField(min_length=1, max_length=20)
    contact_name: str = PField("", max_length=50)
    contact_phone: str | None = PField(None, pattern=r"^1[3-9]\d{9}$")


class ResourcePublic(BaseModel):
    id: int
    unit_id: int
    unit_name: str | None = None
    title: str
    description: str
    category: str
    contact_name: str
    contact_phone: str | None
    active: bool
    created_at: datetime
