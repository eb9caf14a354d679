"""Units that deliver: an agreement's commitments (承诺事项) and the alliance's itemised assessment (考核细则)."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, model_validator
from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Id, Input


class CommitmentKind(StrEnum):
    resource = "resource"
    service = "service"
    project = "project"


class CommitmentPeriod(StrEnum):
    term = "term"
    year = "year"
    quarter = "quarter"
    month = "month"


COMMITMENT_KIND_LABELS = {"resource": "资源", "service": "服务", "project": "项目"}
PERIOD_LABELS = {"term": "协议期内", "year": "每年", "quarter": "每季度", "month": "每月"}


class AgreementCommitment(SQLModel, table=True):
    """One commitment of a co-building agreement, with a target count per period."""

    __tablename__ = "agreement_commitments"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="cobuilding_agreements.id", index=True)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=100)
    target: int
    period: str = Field(max_length=20)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class AssessmentItem(SQLModel, table=True):
    """One item of an alliance's co-building assessment (考核项目), with its weight and automatic figure."""

    __tablename__ = "assessment_items"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    position: int
    name: str = Field(max_length=60)
    weight: int
    source: str | None = Field(default=None, max_length=40)


# --- schemas -----------------------------------------------------------------------------------


class CommitmentCreate(Input):
    kind: CommitmentKind = PField(description="resource 资源 · service 服务 · project 项目")
    title: str = PField(min_length=1, max_length=100)
    target: int = PField(ge=1, le=100000, description="每个周期的目标次数")
    period: CommitmentPeriod = PField(
        CommitmentPeriod.year, description="term 协议期内 · year 每年 · quarter 每季度 · month 每月"
    )


class CommitmentPublic(BaseModel):
    id: int
    agreement_id: int
    kind: CommitmentKind
    title: str
    target: int
    period: CommitmentPeriod
    period_start: date
    period_end: date = PField(description="当前周期的最后一天")
    progress: int = PField(description="当前周期内从记录中自动统计的完成数")
    percent: int
    source: str = PField(description="统计口径（自动指标名）")


class AssessmentItemIn(Input):
    name: str = PField(min_length=1, max_length=60)
    weight: int = PField(ge=1, le=100)
    source: str | None = PField(None, max_length=40, description="自动指标：见 GET /assessment-sources")


class AssessmentItemsIn(Input):
    items: list[AssessmentItemIn] = PField(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _rules(self) -> "AssessmentItemsIn":
        names = [i.name for i in self.items]
        if len(set(names)) != len(names):
            raise ValueError("考核项目名称不能重复")
        if sum(i.weight for i in self.items) != 100:
            raise ValueError("各项权重之和须为 100")
        return self


class AssessmentItemPublic(BaseModel):
    name: str
    weight: int
    source: str | None
    source_label: str | None = None


class ItemScoreIn(Input):
    item: str = PField(min_length=1, max_length=60)
    score: int = PField(ge=0, le=100)
    reason: str = PField(min_length=1, max_length=500)


class ItemisedAssessmentIn(Input):
    community_id: Id | None = PField(None, description="评分的社区；只负责一个社区时可不填")
    scores: list[ItemScoreIn] | None = PField(None, max_length=30)
    # The single score of before the items (kept for old clients): used only when `scores` is absent.
    score: int | None = PField(None, ge=0, le=100)
    reasons: str | None = PField(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _either(self) -> "ItemisedAssessmentIn":
        if self.scores is None and (self.score is None or self.reasons is None or self.community_id is None):
            raise ValueError("请按考核项目逐项打分（scores）")
        if self.scores is not None:
            items = [s.item for s in self.scores]
            if len(set(items)) != len(items):
                raise ValueError("同一考核项目只能打一次分")
        return self


class ScoringItem(BaseModel):
    name: str
    weight: int
    source: str | None
    source_label: str | None
    auto: int | None = PField(description="该单位本年度的自动指标值（无自动指标时为 null）")
    score: int | None = PField(description="已打的分（未打为 null）")
    reason: str


class ScoringForm(BaseModel):
    unit_id: int
    unit_name: str
    community_id: int
    community_name: str
    year: int
    approved: bool
    items: list[ScoringItem]


class RankingRow(BaseModel):
    rank: int
    unit_id: int
    unit_name: str
    score: float = PField(description="各社区评分的平均分")
    communities: int
    approved: bool = PField(description="全部评分均已审定")


class FigureValue(BaseModel):
    source: str
    label: str
    value: int


class UnitProgress(BaseModel):
    unit_id: int
    unit_name: str
    year: int
    figures: list[FigureValue]
    agreements: list[dict]
    assessments: list[dict]
