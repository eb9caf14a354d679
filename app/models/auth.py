"""One-time SMS codes (hashed at rest) and their request log for rate limits."""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Input, TimeField
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
