"""The reconciliation an auditor runs (`ejia reconcile`): the ledger and the records agree.

1. Every service credit in the ledger (an `earn` txn) has its source record — a verified wish, a
   credited attendance, a credited duty — crediting the same person the same minutes, and every
   source record with minutes has its credit (a reversed credit counts as none).
2. Per node (each alliance and community) and month, the stats' service minutes equal the ledger's.
3. Per node, the monthly series of each dated figure sums to the period's total.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.activities import Attendance, credit_ref, credit_ref_kind
from app.models.org import Org, OrgKind
from app.models.stations import ShiftSignup
from app.models.timebank import AccountKind, LedgerAccount, LedgerEntry, LedgerTxn, TxnKind
from app.models.wishes import Wish
from app.permissions import in_subtree
from app.services import stats as stats_service

SOURCE_NAMES = {"wish": "心愿", "activity": "活动", "shift": "值班"}


@dataclass
class Reconciliation:
    credits: int = 0  # ledger service credits checked
    sources: int = 0  # source records with minutes checked
    periods: int = 0  # node-months compared
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _ledger_credits(session: AsyncSession) -> dict[tuple[str, int, int], int]:
    """(ref_type, ref_id, user) → minutes credited to the person by earn txns not reversed since."""
    reversed_ids = select(LedgerTxn.ref_id).where(LedgerTxn.ref_type == "reversal")
    rows = (
        await session.exec(
            select(LedgerTxn.ref_type, LedgerTxn.ref_id, LedgerAccount.user_id, LedgerEntry.amount_minutes)
            .join(LedgerEntry, LedgerEntry.txn_id == LedgerTxn.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(
                LedgerTxn.kind == TxnKind.earn,
                LedgerAccount.kind == AccountKind.person,
                LedgerTxn.id.not_in(reversed_ids),
            )
        )
    ).all()
    out: dict[tuple[str, int, int], int] = defaultdict(int)
    for ref_type, ref_id, user_id, minutes in rows:
        out[(ref_type or "", ref_id or 0, user_id)] += minutes
    return out


async def _source_credits(session: AsyncSession) -> dict[tuple[str, int, int], int]:
    """(ref_type, ref_id, user) → minutes each source record says it credited."""
    out: dict[tuple[str, int, int], int] = {}
    wishes = await session.exec(
        select(Wish.id, Wish.claimer_id, Wish.credit_minutes).where(
            Wish.status == "verified", Wish.credit_minutes > 0
        )
    )
    for wish_id, user_id, minutes in wishes.all():
        out[("wish", wish_id, user_id)] = minutes
    attended = await session.exec(
        select(
            Attendance.activity_id, Attendance.credit_round, Attendance.user_id, Attendance.credited_minutes
        ).where(Attendance.credited_minutes > 0)
    )
    for activity_id, close_round, user_id, minutes in attended.all():
        out[(*credit_ref(activity_id, close_round), user_id)] = minutes
    duty = await session.exec(
        select(ShiftSignup.shift_id, ShiftSignup.user_id, ShiftSignup.served_minutes).where(
            ShiftSignup.served_minutes > 0
        )
    )
    for shift_id, user_id, minutes in duty.all():
        out[("shift", shift_id, user_id)] = minutes
    return out


def _name(key: tuple[str, int, int]) -> str:
    ref_type, ref_id, user_id = key
    return f"{SOURCE_NAMES.get(credit_ref_kind(ref_type), ref_type or '无来源')} {ref_id}（用户 {user_id}）"


async def check_records(session: AsyncSession, result: Reconciliation) -> None:
    """Every ledger service credit has its source record with the same minutes, and vice versa."""
    ledger = await _ledger_credits(session)
    sources = await _source_credits(session)
    result.credits, result.sources = len(ledger), len(sources)
    for key, minutes in sorted(ledger.items()):
        if credit_ref_kind(key[0]) not in SOURCE_NAMES:
            result.problems.append(f"时间银行记入 {minutes} 分钟没有来源记录：{_name(key)}")
        elif key not in sources:
            result.problems.append(f"时间银行记入 {minutes} 分钟，来源记录不存在或未记时长：{_name(key)}")
        elif sources[key] != minutes:
            result.problems.append(f"{_name(key)} 记录 {sources[key]} 分钟，时间银行记入 {minutes} 分钟")
    for key, minutes in sorted(sources.items()):
        if key not in ledger:
            result.problems.append(f"{_name(key)} 记录 {minutes} 分钟，时间银行没有对应记入")


async def _ledger_minutes(session: AsyncSession, *, org: Org, lo: datetime, hi: datetime) -> int:
    """Service minutes the ledger credited to people for service in the subtree in [lo, hi)."""
    reversed_ids = select(LedgerTxn.ref_id).where(LedgerTxn.ref_type == "reversal")
    total = (
        await session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_minutes), 0))
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(
                LedgerTxn.kind == TxnKind.earn,
                # an activity's later crediting rounds carry "activity:<round>" (see `credit_ref`)
                LedgerTxn.ref_type.in_(tuple(SOURCE_NAMES)) | LedgerTxn.ref_type.startswith("activity:"),
                LedgerAccount.kind == AccountKind.person,
                LedgerTxn.id.not_in(reversed_ids),
                in_subtree(LedgerTxn.org_id, org.path),
                LedgerTxn.created_at >= lo,
                LedgerTxn.created_at < hi,
            )
        )
    ).one()
    return int(total)


async def check_periods(session: AsyncSession, result: Reconciliation, *, start: date, end: date) -> None:
    """Per alliance and community, month by month: stats minutes = ledger minutes, months sum to the period."""
    nodes = (
        await session.exec(
            select(Org).where(Org.kind.in_((OrgKind.alliance, OrgKind.community))).order_by(Org.path)
        )
    ).all()
    months = stats_service.months(start, end)
    for org in nodes:
        sums: dict[str, int] = defaultdict(int)
        for first, last in months:
            lo, hi = stats_service.instants(first, last)
            figures = await stats_service.service_figures(session, org=org, lo=lo, hi=hi)
            funnel = await stats_service.wish_funnel(session, org=org, lo=lo, hi=hi)
            ledger = await _ledger_minutes(session, org=org, lo=lo, hi=hi)
            result.periods += 1
            if figures["minutes_served"] != ledger:
                result.problems.append(
                    f"{org.name} {first:%Y-%m}：统计服务时长 {figures['minutes_served']} 分钟，"
                    f"时间银行 {ledger} 分钟"
                )
            for key, value in (("minutes_served", figures["minutes_served"]), *funnel.model_dump().items()):
                sums[key] += value
        lo, hi = stats_service.instants(months[0][0], months[-1][1])
        whole = await stats_service.service_figures(session, org=org, lo=lo, hi=hi)
        funnel = await stats_service.wish_funnel(session, org=org, lo=lo, hi=hi)
        for key, value in (("minutes_served", whole["minutes_served"]), *funnel.model_dump().items()):
            if sums[key] != value:
                result.problems.append(f"{org.name}：{key} 各月合计 {sums[key]}，全期 {value}")


async def reconcile(
    session: AsyncSession, *, start: date | None = None, end: date | None = None
) -> Reconciliation:
    """Run every check; the period defaults to the twelve months up to today."""
    end = end or clock.today()
    start = start or date(end.year - 1, end.month, 1)
    result = Reconciliation()
    await check_records(session, result)
    await check_periods(session, result, start=start, end=end)
    return result
