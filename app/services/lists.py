"""The four lists (四项清单) for any subtree and period: resources, needs, claims, results — JSON and Excel.

Periods are whole days in China time, as for the statistics (`from` 00:00 to the end of `to`).
"""

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app import xlsx
from app.dates import local_time
from app.models.lists import ClaimRow, NeedRow, ResourceRow, ResultRow
from app.models.org import Org
from app.models.resources import UnitResource
from app.models.user import User
from app.models.wishes import STATUS_LABELS, Wish, WishClaim
from app.pagination import PageParams, paginate
from app.permissions import in_subtree, require_role_over
from app.security import mask_phone
from app.services import orgs as orgs_service
from app.services import resources as resources_service
from app.services.stats import period

OUTCOME_LABELS = {None: "进行中", "released": "已放弃", "overdue": "逾期退回", "done": "已完成"}

# kind → (sheet title, [(field, Chinese header)])
COLUMNS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "resources": (
        "服务资源清单",
        [
            ("unit_name", "共建单位"),
            ("title", "资源名称"),
            ("category", "类别"),
            ("description", "服务内容"),
            ("contact_name", "联系人"),
            ("contact_phone", "联系电话"),
            ("created_at", "发布时间"),
        ],
    ),
    "needs": (
        "需求清单",
        [
            ("id", "编号"),
            ("title", "心愿"),
            ("category", "类别"),
            ("org_name", "所在小区"),
            ("poster_name", "许愿人"),
            ("poster_phone", "联系电话"),
            ("status_label", "状态"),
            ("created_at", "提交时间"),
            ("deadline", "截止时间"),
        ],
    ),
    "claims": (
        "认领项目清单",
        [
            ("id", "认领编号"),
            ("wish_id", "心愿编号"),
            ("title", "心愿"),
            ("org_name", "所在小区"),
            ("claimer_name", "认领人"),
            ("claimed_at", "认领时间"),
            ("promise_date", "承诺完成日期"),
            ("outcome_label", "结果"),
            ("measures", "服务措施"),
        ],
    ),
    "results": (
        "验收结果清单",
        [
            ("id", "心愿编号"),
            ("title", "心愿"),
            ("category", "类别"),
            ("org_name", "所在小区"),
            ("claimer_name", "服务人"),
            ("done_note", "服务内容"),
            ("minutes_spent", "服务时长（分钟）"),
            ("rating", "评分（星）"),
            ("comment", "评价"),
            ("credit_minutes", "记入时间银行（分钟）"),
            ("verify_note", "验收及回访意见"),
            ("verified_at", "验收时间"),
        ],
    ),
}


def _resources_stmt(org: Org, lo: datetime, hi: datetime):
    # Resources are standing offers: every one on offer by the end of the period.
    return (
        select(UnitResource, Org.name)
        .join(Org, Org.id == UnitResource.unit_id)
        .where(
            UnitResource.unit_id.in_(resources_service.units_serving_stmt(org)),
            UnitResource.active.is_(True),
            UnitResource.created_at < hi,
        )
    )


def _resource_row(r) -> ResourceRow:
    res, unit_name = r
    return ResourceRow(
        id=res.id,
        unit_id=res.unit_id,
        unit_name=unit_name,
        title=res.title,
        category=res.category,
        description=res.description,
        contact_name=res.contact_name,
        contact_phone=mask_phone(res.contact_phone),
        created_at=res.created_at,
    )


def _needs_stmt(org: Org, lo: datetime, hi: datetime):
    return (
        select(Wish, Org.name, User.name, User.phone)
        .join(Org, Org.id == Wish.org_id)
        .join(User, User.id == Wish.poster_id)
        .where(in_subtree(Wish.org_id, org.path), Wish.created_at >= lo, Wish.created_at < hi)
    )


def _need_row(r) -> NeedRow:
    wish, org_name, poster_name, poster_phone = r
    return NeedRow(
        id=wish.id,
        title=wish.title,
        category=wish.category,
        org_id=wish.org_id,
        org_name=org_name,
        poster_name=poster_name,
        poster_phone=poster_phone,
        status=wish.status,
        status_label=STATUS_LABELS.get(wish.status, wish.status),
        created_at=wish.created_at,
        deadline=wish.deadline,
    )


def _claims_stmt(org: Org, lo: datetime, hi: datetime):
    return (
        select(WishClaim, Wish.title, Org.name, User.name, Wish.done_note, Wish.claim_id)
        .join(Wish, Wish.id == WishClaim.wish_id)
        .join(Org, Org.id == Wish.org_id)
        .join(User, User.id == WishClaim.user_id)
        .where(in_subtree(Wish.org_id, org.path), WishClaim.claimed_at >= lo, WishClaim.claimed_at < hi)
    )


def _claim_row(r) -> ClaimRow:
    claim, title, org_name, claimer_name, done_note, current_claim = r
    # The measures taken are the claimer's own report, which belongs to the claim that finished the wish.
    measures = done_note if claim.outcome == "done" or claim.id == current_claim else None
    return ClaimRow(
        id=claim.id,
        wish_id=claim.wish_id,
        title=title,
        org_name=org_name,
        claimer_id=claim.user_id,
        claimer_name=claimer_name,
        claimed_at=claim.claimed_at,
        promise_date=claim.promise_date,
        outcome=claim.outcome,
        outcome_label=OUTCOME_LABELS.get(claim.outcome, claim.outcome),
        measures=measures,
    )


def _results_stmt(org: Org, lo: datetime, hi: datetime):
    claimer = aliased(User)
    return (
        select(Wish, Org.name, claimer.name)
        .join(Org, Org.id == Wish.org_id)
        .outerjoin(claimer, claimer.id == Wish.claimer_id)
        .where(
            in_subtree(Wish.org_id, org.path),
            Wish.status == "verified",
            Wish.verified_at >= lo,
            Wish.verified_at < hi,
        )
    )


def _result_row(r) -> ResultRow:
    wish, org_name, claimer_name = r
    return ResultRow(
        id=wish.id,
        title=wish.title,
        category=wish.category,
        org_name=org_name,
        claimer_id=wish.claimer_id,
        claimer_name=claimer_name or "",
        done_note=wish.done_note,
        minutes_spent=wish.minutes_spent,
        rating=wish.rating,
        comment=wish.comment,
        credit_minutes=wish.credit_minutes,
        verify_note=wish.verify_note,
        verified_at=wish.verified_at,
    )


KINDS = {
    "resources": (_resources_stmt, _resource_row, UnitResource.id),
    "needs": (_needs_stmt, _need_row, Wish.id),
    "claims": (_claims_stmt, _claim_row, WishClaim.id),
    "results": (_results_stmt, _result_row, Wish.id),
}


async def _scope(session: AsyncSession, *, org_id: int, actor: User, start: date | None, end: date | None):
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id)
    _, _, lo, hi = period(start, end)
    return org, lo, hi


async def list_page(
    session: AsyncSession,
    *,
    kind: str,
    org_id: int,
    actor: User,
    params: PageParams,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[Any], str | None]:
    """One page of a list for staff over the org (oldest first, as a ledger reads)."""
    org, lo, hi = await _scope(session, org_id=org_id, actor=actor, start=start, end=end)
    make_stmt, to_row, id_column = KINDS[kind]
    rows, cursor = await paginate(session, make_stmt(org, lo, hi), id_column, params, newest_first=False)
    return [to_row(r) for r in rows], cursor


async def _stream(session: AsyncSession, stmt) -> AsyncIterator[Any]:
    """The statement's rows through a server-side cursor, one at a time (as `session.exec` would give them)."""
    result = await session.stream(stmt.execution_options(yield_per=1000))
    async for row in result.scalars() if isinstance(stmt, SelectOfScalar) else result:
        yield row


async def workbook(
    session: AsyncSession,
    *,
    kind: str,
    org_id: int,
    actor: User,
    start: date | None = None,
    end: date | None = None,
) -> tuple[bytes, str]:
    """The list as an Excel workbook (one header row, one row per item) and its file name."""
    org, lo, hi = await _scope(session, org_id=org_id, actor=actor, start=start, end=end)
    make_stmt, to_row, id_column = KINDS[kind]
    title, columns = COLUMNS[kind]
    rows = (
        [_cell(getattr(item, field)) for field, _ in columns]
        async for r in _stream(session, make_stmt(org, lo, hi).order_by(id_column))
        for item in (to_row(r),)  # one row model per record, not one per column
    )
    data = await xlsx.workbook(
        title,
        [header for _, header in columns],
        rows,
        widths=[max(10, len(header) * 2 + 2) for _, header in columns],
        bold_header=True,
        freeze_header=True,
    )
    first, last = period(start, end)[:2]
    return data, f"{org.name}{title}_{first.isoformat()}_{last.isoformat()}.xlsx"


def _cell(value):
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
