"""Service posts a branch sets up (设岗定责), the members holding them and their work logs."""

from datetime import date, datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Input, TimeField

POST_TITLES = ["政策宣传员", "文明劝导员", "民情收集员", "纠纷调解员", "治安巡防员", "扶弱帮困员"]


class Post(SQLModel, table=True):
    """A service post a branch sets up (设岗定责) with a number of slots."""

    __tablename__ = "member_posts"
    __table_args__ = (CheckConstraint("claimed >= 0", name="claimed_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    title: str = Field(max_length=30)
    duty: str = Field(default="", max_length=300)
    slots: int
    # Kept by conditional updates (`claimed < slots`), so concurrent claims never exceed the slots.
    claimed: int = 0
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class PostClaim(SQLModel, table=True):
    """A member holding a post; `active` is 1 while held (one holding per member per post)."""

    __tablename__ = "member_post_claims"
    __table_args__ = (UniqueConstraint("post_id", "user_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="member_posts.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    report_id: int | None = Field(default=None, foreign_key="member_reports.id")
    active: int | None = Field(default=1)
    claimed_at: datetime = CreatedAt()
    left_at: datetime | None = TimeField(default=None, nullable=True)


class PostLog(SQLModel, table=True):
    """What a member did on their post, and how long it took."""

    __tablename__ = "member_post_logs"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="member_posts.id", index=True)
    claim_id: int = Field(foreign_key="member_post_claims.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    done_on: date
    minutes: int
    note: str = Field(max_length=300)
    created_at: datetime = CreatedAt()


class PostCreate(Input):
    title: str = PField(min_length=2, max_length=30)
    duty: str = PField("", max_length=300)
    slots: int = PField(ge=1, le=500)


class PostPublic(BaseModel):
    id: int
    org_id: int
    org_name: str | None = None
    title: str
    duty: str
    slots: int
    claimed: int
    active: bool
    mine: bool = False
    created_at: datetime


class PostClaimPublic(BaseModel):
    id: int
    post_id: int
    user_id: int
    claimed_at: datetime
    left_at: datetime | None


class PostLogCreate(Input):
    minutes: int = PField(ge=1, le=24 * 60)
    note: str = PField(min_length=1, max_length=300)
    done_on: Day | None = None


class PostLogPublic(BaseModel):
    id: int
    post_id: int
    user_id: int
    done_on: date
    minutes: int
    note: str
    created_at: datetime
