"""Red courier stations (红色驿站): stations, deputies, duty shifts (轮流坐班), shift sign-ups, check-ins."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints, field_validator, model_validator
from pydantic import Field as PField
from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input, Instant, TimeField
from app.models.user import PHONE_PATTERN, UserBrief
from app.validation import not_null

# A station's public number: a mobile, or a landline with its area code ("0571-8888 1234"); empty for none.
PUBLIC_PHONE_PATTERN = r"^(|1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$"

SERVICE_CHOICES = ["休息", "饮水", "充电", "热饭", "图书", "调解", "急救", "理发", "维修", "如厕", "雨具"]


class StationStatus(StrEnum):
    open = "open"
    closed = "closed"


class CheckinKind(StrEnum):
    visit = "visit"
    duty_start = "duty_start"
    duty_end = "duty_end"
    activity = "activity"


class Station(SQLModel, table=True):
    __tablename__ = "stations"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    name: str = Field(max_length=100)
    address: str = Field(default="", max_length=200)
    # GCJ-02 (火星坐标), as AMap / Tencent / WeChat's location API report it.
    lat: float
    lng: float
    radius_m: int = 150
    open_hours: str = Field(default="", max_length=100)
    # The station's public number (a landline or the duty phone), shown for residents to tap and call.
    phone: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    master_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    status: str = Field(default=StationStatus.open, max_length=10)
    # A printed card (static code) is accepted only where the station allows it, with a location check.
    card_enabled: bool = False
    # Printed into the card's code: re-issuing a card bumps it, and every older printed card stops working.
    card_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class StationDeputy(SQLModel, table=True):
    __tablename__ = "station_deputies"
    __table_args__ = (UniqueConstraint("station_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = CreatedAt()


class DutyShift(SQLModel, table=True):
    __tablename__ = "duty_shifts"
    __table_args__ = (CheckConstraint("signed_up >= 0", name="signed_up_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", index=True)
    starts_at: datetime = TimeField(index=True)
    ends_at: datetime = TimeField()
    capacity: int
    # Taken places: only ever moved by a conditional UPDATE (signed_up < capacity), never read-then-write.
    signed_up: int = 0
    closed_at: datetime | None = TimeField(default=None, nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class ShiftSignup(SQLModel, table=True):
    __tablename__ = "shift_signups"
    __table_args__ = (UniqueConstraint("shift_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="duty_shifts.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    started_at: datetime | None = TimeField(default=None, nullable=True)
    ended_at: datetime | None = TimeField(default=None, nullable=True)
    served_minutes: int | None = None
    # Set once, by the conditional UPDATE that ends the duty; the ledger is idempotent as well.
    credited: bool = False
    # When the crediting rule settled it: the date its minutes count on.
    credited_at: datetime | None = TimeField(default=None, nullable=True, index=True)
    no_show: bool = False
    created_at: datetime = CreatedAt()


class Checkin(SQLModel, table=True):
    """One scan. `code_key` names the code and its window: one row per person and window, ever."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("user_id", "code_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_key: str = Field(max_length=60)
    kind: str = Field(max_length=20)
    station_id: int | None = Field(default=None, foreign_key="stations.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activities.id", index=True)
    shift_id: int | None = Field(default=None, foreign_key="duty_shifts.id")
    # PIPL: the scan's own coordinates are judged and dropped; only the distance is kept.
    distance_m: int | None = None
    acted_by_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = CreatedAt()


class CodeFailure(SQLModel, table=True):
    """A typed short code that did not match: counted per person to stop guessing six digits."""

    __tablename__ = "code_failures"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    at: datetime = CreatedAt()


# --- schemas -----------------------------------------------------------------------------------

ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Lat = Annotated[
    float, PField(ge=-90, le=90, description="纬度，GCJ-02 坐标系（高德/腾讯地图、微信定位所用）")
]
Lng = Annotated[
    float, PField(ge=-180, le=180, description="经度，GCJ-02 坐标系（高德/腾讯地图、微信定位所用）")
]


class StationCreate(Input):
    name: str = PField(min_length=1, max_length=100)
    org_id: Id
    address: str = PField("", max_length=200)
    lat: Lat
    lng: Lng
    services: list[ServiceName] = PField(default_factory=list, max_length=30)
    open_hours: str = PField("", max_length=100, description="开放时间，如 “周一至周日 8:00-20:00”")
    phone: str = PField(
        "", pattern=PUBLIC_PHONE_PATTERN, description="驿站对外电话（座机或值班手机），居民可点击拨打"
    )
    master_phone: str | None = PField(None, pattern=PHONE_PATTERN, description="站长手机号（新号码自动建档）")
    deputy_phones: list[Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]] = PField(
        default_factory=list, max_length=10
    )
    radius_m: int = PField(150, ge=20, le=2000, description="纸质码签到允许的距离（米）")
    card_enabled: bool = PField(False, description="是否允许张贴静态纸质码（扫码时须校验定位）")


class StationUpdate(Input):
    name: str | None = PField(None, min_length=1, max_length=100)
    address: str | None = PField(None, max_length=200)
    lat: Lat | None = None
    lng: Lng | None = None
    services: list[ServiceName] | None = PField(None, max_length=30)
    open_hours: str | None = PField(None, max_length=100)
    phone: str | None = PField(None, pattern=PUBLIC_PHONE_PATTERN)
    status: StationStatus | None = None
    master_phone: str | None = PField(None, pattern=PHONE_PATTERN)
    deputy_phones: list[Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]] | None = PField(
        None, max_length=10
    )
    radius_m: int | None = PField(None, ge=20, le=2000)
    card_enabled: bool | None = None

    # Left out means unchanged; null may not blank a column the station cannot do without.
    _not_null = field_validator(
        "name", "address", "lat", "lng", "services", "open_hours", "status", "radius_m", "card_enabled"
    )(not_null)


class StationPublic(BaseModel):
    id: int
    org_id: int
    name: str
    address: str
    lat: float = PField(description="纬度，GCJ-02 坐标系")
    lng: float = PField(description="经度，GCJ-02 坐标系")
    radius_m: int
    open_hours: str
    phone: str = ""
    services: list[str]
    status: str
    open_now: bool | None = PField(None, description="按开放时间此刻是否开放；无法识别开放时间时为 null")
    card_enabled: bool
    master: UserBrief | None = None
    deputies: list[UserBrief] = []
    distance_m: int | None = PField(None, description="与 near 给出位置的距离（米），仅在带 near 查询时返回")


class QrToken(BaseModel):
    token: str
    expires_at: datetime
    url: str = PField(description="二维码内容：扫码页链接，带上 token")
    short_code: str | None = PField(None, description="可手动输入的短码（随二维码轮换）")


class ShiftCreate(Input):
    starts_at: Instant
    ends_at: Instant
    capacity: int = PField(ge=1, le=100)

    @model_validator(mode="after")
    def _order(self) -> "ShiftCreate":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("时间须带时区")
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间须晚于开始时间")
        return self


class ShiftPublic(BaseModel):
    id: int
    station_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signed_up: int
    closed: bool
    mine: bool = False


class ShiftSignupPublic(BaseModel):
    id: int
    shift_id: int
    user_id: int
    started_at: datetime | None
    ended_at: datetime | None
    served_minutes: int | None
    no_show: bool


class ShiftClosed(BaseModel):
    shift_id: int
    credited: int = PField(description="本次结算记入时间银行的人数")
    no_shows: int


class CheckinIn(Input):
    token: str = PField(min_length=4, max_length=600, description="扫到的码（完整 token、扫码链接或短码）")
    lat: Lat | None = None
    lng: Lng | None = None
    accuracy: float | None = PField(None, ge=0, le=100000, description="定位精度（米），纸质码签到时使用")
    coord_type: Literal["gcj02", "wgs84"] = PField(
        "gcj02",
        description="lat/lng 的坐标系：gcj02（微信定位、国内地图）或 wgs84（浏览器 GPS 定位，服务端换算）",
    )


class CheckinPublic(BaseModel):
    id: int
    kind: CheckinKind
    at: datetime
    duplicate: bool = False
    station_id: int | None = None
    activity_id: int | None = None
    shift_id: int | None = None
    place: str = PField("", description="驿站或活动名称")
    distance_m: int | None = None
    credited_minutes: int | None = None
    message: str = PField("", description="给扫码人看的确认信息")


class StationDay(BaseModel):
    day: str
    visits: int


class StationStats(BaseModel):
    station_id: int
    visits: int
    visits_per_day: list[StationDay]
    duty_minutes: int
    live_count: int = PField(description="今天到站人次")
