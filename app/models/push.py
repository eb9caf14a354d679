"""Push reminders outside the app: what each person wants to receive, and the outbox of messages to send.

A notification that asks someone to act (confirm a wish, review, verify, a claim falling due) is
also queued here, in the same transaction as the change, for WeChat (a subscribe message to the
person's bound openid) or, for someone with no WeChat binding, an SMS. A timed job sends the queue.
"""

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Input, TimeField

PUSH_CHANNELS = ("wechat", "sms")


class PushSetting(SQLModel, table=True):
    """One person's choices; no row means the defaults (WeChat and SMS on, to-dos only)."""

    __tablename__ = "push_settings"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    wechat: bool = True
    sms: bool = True
    updates: bool = False  # also progress updates (claimed, verified...), not only what waits for them


class PushMessage(SQLModel, table=True):
    """One message to send through one channel: pending → sending → sent, or failed after three tries."""

    __tablename__ = "push_messages"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(max_length=10)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=60)
    body: str = Field(default="", max_length=300)
    link: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = CreatedAt()
    claimed_at: datetime | None = TimeField(default=None, nullable=True)
    sent_at: datetime | None = TimeField(default=None, nullable=True)


class PushSettingsPublic(BaseModel):
    wechat: bool
    sms: bool
    updates: bool
    wechat_bound: bool  # whether WeChat can reach the person at all (else SMS is used)


class PushSettingsIn(Input):
    wechat: bool | None = None
    sms: bool | None = None
    updates: bool | None = None
