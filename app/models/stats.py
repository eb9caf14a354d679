"""The numbers (台账与统计) of a subtree over a period, as the API shows them."""

from datetime import date

from pydantic import BaseModel, Field


class WishFunnel(BaseModel):
    posted: int = Field(description="本期提交的心愿数")
    published: int = Field(description="本期审核上墙的心愿数（按上墙日期）")
    claimed: int = Field(description="本期首次被认领的心愿数（按认领日期）")
    verified: int = Field(description="本期验收的心愿数（按验收日期）")


class EventFigures(BaseModel):
    reported: int
    closed: int
    on_time_rate: float | None = Field(
        description="按期处置率（0–1）：期限在本期且已到期的事件中按期处置的比例，到期未处置的计为逾期；无可计算时为空"
    )
    handling_rate: float | None = Field(None, description="处置率（0–1）：已处置的占上报的")
    overdue: int = Field(0, description="逾期未处置")


class OrgStats(BaseModel):
    org_id: int
    org_name: str
    from_: date = Field(alias="from")
    to: date
    wishes: WishFunnel
    minutes_served: int = Field(description="本期记入时间银行的志愿服务时长（分钟）= 心愿 + 活动 + 值班")
    wish_minutes: int = Field(0, description="其中心愿（按验收日期）")
    activity_minutes: int = Field(0, description="其中服务类活动（按签退或结束日期）")
    volunteers: int
    beneficiaries: int
    activities: int
    attendances: int
    no_shows: int
    station_visits: int
    duty_minutes: int = Field(description="其中驿站值班（按结算日期）")
    members_reported: int = Field(description="本期报到的在职党员人数（不含被驳回的）")
    members_approved: int = Field(0, description="其中已审核通过的")
    members_rated: int = Field(0, description="本期写下年度评价的人数")
    events: EventFigures

    model_config = {"populate_by_name": True}
