"""The in-app inbox: one row per message to a person."""

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, TimeField


class Notification(SQLModel, table=True):
    """One message in a person's in-app inbox."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=60)
    body: str = Field(default="", max_length=300)
    link: str | None = Field(default=None, max_length=200)
    ref_type: str | None = Field(default=None, max_length=20)
    ref_id: int | None = None
    created_at: datetime = CreatedAt()
    read_at: datetime | None = TimeField(default=None, nullable=True)


class NotificationPublic(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    ref_type: str | None
    ref_id: int | None
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int
