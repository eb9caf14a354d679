"""Party-member demonstration posts (党员示范岗): a title and a duty given to a member or a station for a period."""

from datetime import date, datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Id, Input


class DemonstrationPost(SQLModel, table=True):
    __tablename__ = "demonstration_posts"

    id: int | None = Field(default=None, primary_key=True)
    # Where it belongs (the station's node, else the member's home): lists and figures cut by subtree.
    org_id: int = Field(foreign_key="orgs.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="stations.id", index=True)
    title: str = Field(max_length=30)
    duty: str = Field(max_length=300)
    starts_on: date
    ends_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class DemonstrationPostCreate(Input):
    user_id: Id | None = None
    user_phone: str | None = PField(None, pattern=r"^1[3-9]\d{9}$", description="或以手机号指定党员")
    station_id: Id | None = None
    title: str = PField(min_length=2, max_length=30)
    duty: str = PField(min_length=1, max_length=300)
    starts_on: Day
    ends_on: Day | None = None


class Holder(BaseModel):
    """Who holds a post, as the public list shows them: never a phone number."""

    id: int
    name: str


class DemonstrationPostPublic(BaseModel):
    id: int
    org_id: int
    org_name: str | None = None
    user: Holder | None = None
    station: Holder | None = None
    title: str
    duty: str
    starts_on: date
    ends_on: date | None
    current: bool
    created_at: datetime
