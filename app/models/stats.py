"""The numbers (台账与统计) of a subtree over a period, as the API shows them."""

from datetime import date

from pydantic import BaseModel, Field


class WishFunnel(BaseModel):
    posted: int = Field(description="本期发布的心愿数")
    published: int = Field(description="其中已审核上墙的")
    claimed: int = Field(description="其中已被认领的")
    verified: int = Field(description="其中已验收的")


class EventFigures(BaseModel):
    reported: int
    closed: int
    on_time_rate: float | None = Field(description="按期处置率（0–1）：按期处置的占已处置的，无可计算时为空")
    handling_rate: float | None = Field(None, description="处置率（0–1）：已处置的占上报的")
    overdue: int = Field(0, description="逾期未处置")


class OrgStats(BaseModel):
    org_id: int
    org_name: str
    from_: date = Field(alias="from")
    to: date
    wishes: WishFunnel
    minutes_served: int
    volunteers: int
    beneficiaries: int
    activities: int
    attendances: int
    no_shows: int
    station_visits: int
    duty_minutes: int
    members_reported: int = Field(description="本期报到的在职党员人数（不含被驳回的）")
    members_approved: int = Field(0, description="其中已审核通过的")
    members_rated: int = Field(0, description="本期写下年度评价的人数")
    events: EventFigures
    station_services: int = Field(0, description="驿站登记的服务人次（调解、理发、骑手歇脚等）")
    demonstration_posts: int = Field(0, description="本期在岗的党员示范岗数")
    teams: int = Field(0, description="在册的志愿服务队、党员先锋队数")

    model_config = {"populate_by_name": True}
