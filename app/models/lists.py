"""The rows of the four lists (四项清单): resources, needs, claims and results."""

from datetime import date, datetime

from pydantic import BaseModel

# ---- the four lists (四项清单) ----


class ResourceRow(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    title: str
    category: str
    description: str
    contact_name: str
    contact_phone: str | None
    created_at: datetime


class NeedRow(BaseModel):
    id: int
    title: str
    category: str
    org_id: int
    org_name: str
    poster_name: str
    poster_phone: str | None
    status: str
    status_label: str
    created_at: datetime
    deadline: datetime | None


class ClaimRow(BaseModel):
    id: int
    wish_id: int
    title: str
    org_name: str
    claimer_id: int
    claimer_name: str
    claimed_at: datetime
    promise_date: date
    outcome: str | None
    outcome_label: str
    measures: str | None


class ResultRow(BaseModel):
    id: int
    title: str
    category: str
    org_name: str
    claimer_id: int | None
    claimer_name: str
    done_note: str | None
    minutes_spent: int | None
    rating: int | None
    comment: str | None
    credit_minutes: int | None
    verify_note: str | None
    verified_at: datetime
