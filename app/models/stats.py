"""The numbers (台账与统计) of a subtree over a period, as the API shows them."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.models.user import UserBrief


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
    station_services: int = Field(0, description="驿站登记的服务人次（调解、理发、骑手歇脚等）")
    demonstration_posts: int = Field(0, description="本期在岗的党员示范岗数")
    teams: int = Field(0, description="在册的志愿服务队、党员先锋队数")

    model_config = {"populate_by_name": True}


# ---- the cuts (issue 11 item 4) ----


class ChildCut(BaseModel):
    org_id: int
    name: str
    wishes_posted: int
    wishes_verified: int
    minutes_served: int
    volunteers: int


class MonthCut(BaseModel):
    month: str = Field(description="YYYY-MM（中国时间）")
    wishes_posted: int
    wishes_claimed: int
    wishes_verified: int
    minutes_served: int
    activities: int = 0
    attendances: int = 0


class CategoryCut(BaseModel):
    category: str
    posted: int
    verified: int


class GroupCut(BaseModel):
    people: int = Field(description="本期有服务时长、完成心愿或认领岗位的人数")
    minutes_served: int
    wishes_done: int = Field(description="本期验收的、由其完成的心愿")
    posts_claimed: int = Field(description="本期认领的岗位（设岗定责）")


class MemberTypeCut(GroupCut):
    member_type: str = Field(description="in_service / retired / mobile / resident（群众）")
    label: str


class UnitCut(GroupCut):
    unit_id: int
    name: str


class PersonRank(BaseModel):
    user_id: int
    name: str
    minutes: int


class Duration(BaseModel):
    count: int
    median_hours: float | None
    p90_hours: float | None


class StatsCuts(BaseModel):
    org_id: int
    org_name: str
    from_: date = Field(alias="from")
    to: date
    by_child: list[ChildCut]
    by_month: list[MonthCut]
    by_category: list[CategoryCut]
    by_member_type: list[MemberTypeCut]
    by_unit: list[UnitCut]
    top_volunteers: list[PersonRank]
    time_to_claim: Duration = Field(description="上墙到首次认领（小时），本期认领的心愿")
    time_to_finish: Duration = Field(description="首次认领到验收（小时），本期验收的心愿")

    model_config = {"populate_by_name": True}


class UnitStats(BaseModel):
    unit_id: int
    unit_name: str
    from_: date = Field(alias="from")
    to: date
    wishes_dispatched: int = Field(description="本期派给本单位的心愿（按提交日期）")
    wishes_done: int = Field(description="本期验收的派单心愿")
    wish_minutes: int
    members: int = Field(description="报到的本单位党员")
    members_serving: int = Field(description="其中本期有服务时长的")
    member_minutes: int = Field(description="本单位党员本期在联盟内的服务时长")
    activities_hosted: int
    assessment_score: float | None = Field(description="本年度共驻共建考核得分（各社区平均）")

    model_config = {"populate_by_name": True}


# ---- the records behind a figure (issue 11 item 5) ----


class FigureRecord(BaseModel):
    ref: int = Field(description="记录编号（计人数的指标为人的编号）")
    at: datetime | None = Field(description="计入本期的日期时间")
    title: str
    person: UserBrief | None = Field(description="相关的人（手机号打码）")
    org_id: int | None
    org_name: str
    minutes: int | None = Field(description="记入的时长（分钟），不计时长的为空")


class FigureRecords(BaseModel):
    figure: str
    label: str
    counts: str = Field(description="口径")
    org_id: int
    org_name: str
    from_: date = Field(alias="from")
    to: date
    total: int = Field(description="记录条数：计数的指标等于该指标的数值")
    minutes: int = Field(description="记录的时长合计（分钟）：时长类指标等于该指标的数值")
    items: list[FigureRecord]
    next_cursor: str | None = None

    model_config = {"populate_by_name": True}
