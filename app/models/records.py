"""The record card (活动记录卡): what a member did in a year, read from the modules that keep it."""

from datetime import datetime

from pydantic import BaseModel

from app.models.demonstration import DemonstrationPostPublic
from app.models.feedback import FeedbackPublic
from app.models.member_reports import ReportPublic
from app.models.posts import PostLogPublic
from app.models.user import UserBrief


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
    demonstration_posts: list[DemonstrationPostPublic] = []  # 党员示范岗 held in the year
