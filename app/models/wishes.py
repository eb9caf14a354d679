"""Micro-wishes (微心愿), their categories, history and claims."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Id, Input, Instant, TimeField
from app.models.user import UserBrief


class WishStatus(StrEnum):
    submitted = "submitted"
    published = "published"
    claimed = "claimed"
    done = "done"
    confirmed = "confirmed"
    verified = "verified"
    rejected = "rejected"
    cancelled = "cancelled"
    expired = "expired"


STATUS_LABELS = {
    "submitted": "待审核",
    "published": "待认领",
    "claimed": "已认领",
    "done": "已完成",
    "confirmed": "已确认",
    "verified": "已验收",
    "rejected": "未通过",
    "cancelled": "已撤回",
    "expired": "已过期",
}

CATEGORIES = ["生活服务", "物资", "助老", "助学", "医疗健康", "法律咨询", "其他"]

ACTION_LABELS = {
    "submit": "提交心愿",
    "publish": "审核通过并发布",
    "reject": "审核未通过",
    "dispatch": "派单给共建单位",
    "confirm_on_behalf": "工作人员代为确认",
    "claim": "认领",
    "release": "放弃认领",
    "release_overdue": "逾期未完成，退回心愿墙",
    "done": "服务完成",
    "confirm": "确认并评价",
    "auto_confirm": "超过确认期限，自动确认",
    "verify": "站点验收",
    "cancel": "撤回",
    "expire": "超过截止时间，已过期",
}


class WishCategory(SQLModel, table=True):
    """An alliance's own list of wish categories (the defaults apply until it sets one)."""

    __tablename__ = "wish_categories"
    __table_args__ = (UniqueConstraint("alliance_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="orgs.id", index=True)
    name: str = Field(max_length=20)
    sort: int = 0


class Wish(SQLModel, table=True):
    __tablename__ = "wishes"
    # The funnel counts each stage by its date (figures.FIGURES): an index per milestone keeps a
    # month's or a year's count off a whole-table scan.
    __table_args__ = (
        Index("ix_wishes_created_at", "created_at"),
        Index("ix_wishes_first_published_at", "first_published_at"),
        Index("ix_wishes_first_claimed_at", "first_claimed_at"),
        Index("ix_wishes_verified_at", "verified_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    poster_id: int = Field(foreign_key="users.id", index=True)
    acted_by_id: int | None = Field(default=None, foreign_key="users.id")  # staff posting on someone's behalf
    title: str = Field(max_length=40)
    description: str = Field(default="", max_length=500)
    category: str = Field(max_length=20, index=True)
    status: str = Field(default=WishStatus.submitted, max_length=20, index=True)
    deadline: datetime | None = TimeField(default=None, nullable=True)
    # Sensitive under PIPL (a child's name and school): Fernet tokens, never plain text.
    child_name_enc: str | None = Field(default=None, max_length=400)
    child_school_enc: str | None = Field(default=None, max_length=400)
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reject_reason: str | None = Field(default=None, max_length=200)
    assigned_org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    # Dispatched to a volunteer team (any active member may claim) or asked of one person (扫码为你服务).
    assigned_team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    assigned_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    published_at: datetime | None = TimeField(default=None, nullable=True)
    # Milestones, stamped once by the state machine (wish_machine.MACHINE.firsts): the first publish
    # and the first claim, kept when a wish is released and claimed again.
    first_published_at: datetime | None = TimeField(default=None, nullable=True)
    first_claimed_at: datetime | None = TimeField(default=None, nullable=True)
    claimer_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    claim_id: int | None = Field(default=None)
    claimed_at: datetime | None = TimeField(default=None, nullable=True)
    promise_date: date | None = None
    done_at: datetime | None = TimeField(default=None, nullable=True)
    done_note: str | None = Field(default=None, max_length=500)
    minutes_spent: int | None = None
    confirmed_at: datetime | None = TimeField(default=None, nullable=True)
    rating: int | None = None
    comment: str | None = Field(default=None, max_length=300)
    verified_at: datetime | None = TimeField(default=None, nullable=True)
    verifier_id: int | None = Field(default=None, foreign_key="users.id")
    credit_minutes: int | None = None
    verify_note: str | None = Field(default=None, max_length=300)
    closed_at: datetime | None = TimeField(default=None, nullable=True)
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class WishEvent(SQLModel, table=True):
    """One step of a wish's history (the acceptance record and the return visit)."""

    __tablename__ = "wish_events"

    id: int | None = Field(default=None, primary_key=True)
    wish_id: int = Field(foreign_key="wishes.id", index=True)
    at: datetime = CreatedAt()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=500)


class WishClaim(SQLModel, table=True):
    """Every claim ever made (认领项目清单), including released and overdue ones."""

    __tablename__ = "wish_claims"

    id: int | None = Field(default=None, primary_key=True)
    wish_id: int = Field(foreign_key="wishes.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    claimed_at: datetime = CreatedAt()
    promise_date: date
    outcome: str | None = Field(default=None, max_length=20)  # released / overdue / done
    ended_at: datetime | None = TimeField(default=None, nullable=True)
    reminded_at: datetime | None = TimeField(default=None, nullable=True)


# ---- API schemas ----


class WishCreate(Input):
    title: str = PField(min_length=2, max_length=40)
    description: str = PField("", max_length=500)
    category: str = PField(min_length=1, max_length=20)
    org_id: Id | None = None
    deadline: Instant | None = None
    child_name: str | None = PField(None, max_length=20)
    child_school: str | None = PField(None, max_length=40)
    on_behalf_of_phone: str | None = PField(None, pattern=r"^1[3-9]\d{9}$")


class ReviewIn(Input):
    approve: bool
    reason: str | None = PField(None, max_length=200)
    assign_org_id: Id | None = None
    assign_team_id: Id | None = None


class ClaimIn(Input):
    promise_date: Day | None = None


class DoneIn(Input):
    note: str = PField(min_length=1, max_length=500)
    minutes_spent: int = PField(ge=1, le=24 * 60)


class ConfirmIn(Input):
    rating: int = PField(ge=1, le=5)
    comment: str | None = PField(None, max_length=300)
    # Staff who posted the wish for a resident confirm it for them, with the rating the resident gave.
    on_behalf: bool = False


class VerifyIn(Input):
    credit_minutes: int = PField(ge=0, le=24 * 60)
    note: str | None = PField(None, max_length=300)


CategoryName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class CategoriesIn(Input):
    alliance_id: Id
    names: list[CategoryName] = PField(min_length=1, max_length=30)


class WishEventPublic(BaseModel):
    at: datetime
    actor_id: int | None
    action: str
    note: str | None = None


class WishPublic(BaseModel):
    id: int
    org_id: int
    org_name: str | None = None
    title: str
    description: str
    category: str
    status: WishStatus
    deadline: datetime | None
    poster: UserBrief
    claimer: UserBrief | None = None
    assigned_org_id: int | None = None
    assigned_team_id: int | None = None
    assigned_user_id: int | None = None
    reject_reason: str | None = None
    promise_date: date | None = None
    claimed_at: datetime | None = None
    done_note: str | None = None
    minutes_spent: int | None = None
    rating: int | None = None
    comment: str | None = None
    credit_minutes: int | None = None
    verify_note: str | None = None
    published_at: datetime | None = None
    verified_at: datetime | None = None
    created_at: datetime
    child_name: str | None = None
    child_school: str | None = None
    photos: list[str] = []
    actions: list[str] = []
    events: list[WishEventPublic] = []
