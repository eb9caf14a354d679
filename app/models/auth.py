"""One-time SMS codes (hashed at rest) and their request log for rate limits."""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app import clock
from app.models.base import CreatedAt, Input, TimeField, UTCDateTime
from app.models.user import PHONE_PATTERN, MePublic


class SmsCode(SQLModel, table=True):
    __tablename__ = "sms_codes"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11, index=True)
    ip: str = Field(default="", max_length=64, index=True)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    created_at: datetime = CreatedAt()
    expires_at: datetime = TimeField()
    used_at: datetime | None = TimeField(default=None)


class OAuthStateUsed(SQLModel, table=True):
    """A WeChat OAuth state already spent by a callback: a replayed one is refused while it could
    still be valid (its signed cookie lives ten minutes); older rows are pruned as new ones come."""

    __tablename__ = "oauth_states_used"

    state: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False, index=True)


class SmsCodeIn(Input):
    phone: str = PField(pattern=PHONE_PATTERN)


class SmsCodeSent(BaseModel):
    sent: bool = True
    expires_in: int
    debug_code: str | None = None


class LoginIn(Input):
    phone: str = PField(pattern=PHONE_PATTERN)
    code: str = PField(pattern=r"^\d{6}$")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    user: MePublic
