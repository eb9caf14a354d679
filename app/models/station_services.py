"""The service log of a red station: what the station gave (调解, 理发, 骑手歇脚, 政策咨询 …), how often."""

from datetime import date, datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Day, Input
from app.models.user import PHONE_PATTERN, UserBrief

SERVICE_KINDS = ["调解", "理发", "骑手歇脚", "政策咨询", "义诊", "代办", "爱心午餐", "充电饮水"]


class StationService(SQLModel, table=True):
    __tablename__ = "station_services"

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", index=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)  # the station's node, for figures by subtree
    kind: str = Field(max_length=20, index=True)
    count: int
    note: str | None = Field(default=None, max_length=200)
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True
    )  # the person served, if named
    served_on: date
    recorded_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = CreatedAt()


class StationServiceCreate(Input):
    kind: str = PField(min_length=1, max_length=20)
    count: int = PField(1, ge=1, le=1000)
    note: str | None = PField(None, max_length=200)
    user_phone: str | None = PField(None, pattern=PHONE_PATTERN)
    served_on: Day | None = None


class StationServicePublic(BaseModel):
    id: int
    station_id: int
    kind: str
    count: int
    note: str | None
    user: UserBrief | None = None
    served_on: date
    recorded_by_id: int
    created_at: datetime


class StationServiceTotal(BaseModel):
    kind: str
    count: int
