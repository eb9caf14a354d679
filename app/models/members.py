"""In-service party members reporting to their branch (在职党员双报到), posts (设岗定责), feedback
forms (社区表现反馈表), the alliance's settings for them, and co-building (共驻共建) agreements and scores."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Id, Input, TimeField
from app.models.user import UserBrief


class ReportStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    moved = "moved"  # the member moved to another branch; a new report carries on


REPORT_STATUS_LABELS = {"pending": "待审核", "approved": "已报到", "rejected": "未通过", "moved": "已转出"}
ACTIVE_REPORT_STATES = frozenset({ReportStatus.pending, ReportStatus.approved})


class Rating(StrEnum):
    excellent = "excellent"
    qualified = "qualified"
    basic = "basic"
    unqualified = "unqualified"


RATING_LABELS = {"excellent": "优秀", "qualified": "合格", "basic": "基本合格", "unqualified": "不合格"}
POST_TITLES = ["政策宣传员", "文明劝导员", "民情收集员", "纠纷调解员", "治安巡防员", "扶弱帮困员"]
MEMBER_TYPE_LABELS = {"in_service": "在职党员", "retired": "离退休党员", "mobile": "流动党员"}


class MemberReport(SQLModel, table=True):
    """A party member's report to the branch where they live, for one period (a year, or a half year)."""

    __tablename__ = "member_reports"
    # `active` is 1 while pending/approved and NULL after: NULLs never collide, so the database
    # itself keeps one active report per member per period, however many requests race.
    __table_args__ = (UniqueConstraint("user_id", "period", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    employer_unit_id: int = Field(foreign_key="orgs.id", index=True)
    year: int = Field(index=True)
    period: str = Field(max_length=10)  # "2026", or "2026-H2" where the alliance asks for half-yearly reports
    status: str = Field(default=ReportStatus.pending, max_length=20, index=True)
    active: int | None = Field(default=1)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=300)
    previous_id: int | None = Field(default=None, foreign_key="member_reports.id")
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = TimeField(default=None, nullable=True)
    reject_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = CreatedAt()
    updated_at: datetime = CreatedAt()


class MemberReportStep(SQLModel, table=True):
    """One step of a report's history: reported, approved, rejected, moved."""

    __tablename__ = "member_report_steps"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="member_reports.id", index=True)
    at: datetime = CreatedAt()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=300)


class Post(SQLModel, table=True):
    """A service post a branch sets up (设岗定责) with a number of slots."""

    __tablename__ = "member_posts"

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


# ---- API schemas ----

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class ReportCreate(Input):
    employer_unit_id: Id
    org_id: Id
    skills: list[Skill] = PField(default_factory=list, max_length=20)
    availability: str = PField("", max_length=100)
    note: str | None = PField(None, max_length=300)


class ReportReview(BaseModel):
    approve: bool
    reason: str | None = PField(None, max_length=200)


class ReportMove(BaseModel):
    org_id: Id
    note: str | None = PField(None, max_length=300)


class ReportStepPublic(BaseModel):
    at: datetime
    actor_id: int | None
    action: str
    note: str | None = None


class ReportPublic(BaseModel):
    id: int
    user: UserBrief
    member_type: str | None
    org_id: int
    org_name: str | None = None
    employer_unit_id: int
    employer_unit_name: str | None = None
    year: int
    period: str
    status: ReportStatus
    skills: list[str]
    availability: str
    note: str
    previous_id: int | None
    reject_reason: str | None
    reviewed_at: datetime | None
    created_at: datetime
    events: list[ReportStepPublic] = []


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


class RecordPost(BaseModel):
    post_id: int
    title: str
    org_name: str | None
    claimed_at: datetime
    left_at: datetime | None
    minutes: int
    logs: list[PostLogPublic]


class RecordItem(BaseModel):
    """One thing the member did that another module keeps (an activity, a wish, a duty shift)."""

    id: int
    title: str
    at: datetime | None
    minutes: int = 0
    org_name: str | None = None


class RecordSection(BaseModel):
    available: bool = True  # False while the module that keeps these records is not installed
    items: list[RecordItem] = []
    minutes: int = 0


class RecordPublic(BaseModel):
    user: UserBrief
    member_type: str | None
    year: int
    reports: list[ReportPublic]
    posts: list[RecordPost]
    activities: RecordSection
    wishes: RecordSection
    shifts: RecordSection
    post_minutes: int
    ledger_minutes: int | None  # minutes credited to the member's time bank that year, if the ledger exists
    total_minutes: int
    feedback: list[FeedbackPublic]
