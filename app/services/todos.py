"""What waits for a person: the "待您处理" cards on home, the counts on the tabs and the staff queues.

One place decides what counts as a to-do, so the card on home, the red dot on the tab and the
number beside a console queue always agree.
"""

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.events import EventStatus, GridEvent
from app.models.member_reports import MemberReport, ReportStatus
from app.models.notifications import Notification
from app.models.stations import DutyShift, ShiftSignup, Station
from app.models.user import User
from app.models.wishes import Wish, WishStatus
from app.permissions import covered_by_role

# Kinds of notification that ask the person to do something (they are also pushed outside the app).
TODO_KINDS = frozenset(
    {
        "wish_submitted",
        "wish_done",
        "wish_confirmed",
        "wish_dispatched",
        "claim_due",
        "claim_overdue",
        "event",
        "event_escalated",
    }
)


async def _count(session: AsyncSession, stmt) -> int:
    return int((await session.exec(stmt)).one())


async def mine(session: AsyncSession, *, user: User, limit: int = 10) -> list[dict]:
    """The person's own to-dos, most urgent first: wishes to confirm, events to give feedback on,
    today's duty shifts to sign in for."""
    items: list[dict] = []
    wishes = await session.exec(
        select(Wish)
        .where(Wish.poster_id == user.id, Wish.status == WishStatus.done)
        .order_by(Wish.id)
        .limit(limit)
    )
    for wish in wishes.all():
        items.append(
            {
                "kind": "confirm_wish",
                "title": f"请确认：{wish.title}",
                "text": "志愿者已完成您的心愿，请确认并评价",
                "link": f"/wishes/{wish.id}",
                "wish_id": wish.id,
                "tab": "wishes",
            }
        )
    events = await session.exec(
        select(GridEvent)
        .where(GridEvent.reporter_id == user.id, GridEvent.status == EventStatus.checked)
        .order_by(GridEvent.id)
        .limit(limit)
    )
    for event in events.all():
        items.append(
            {
                "kind": "event_feedback",
                "title": "您反映的问题已处理",
                "text": f"{event.description[:30]}——请评价是否满意",
                "link": f"/events/{event.id}",
                "tab": "me",
            }
        )
    now = clock.now()
    shifts = await session.exec(
        select(DutyShift, Station.name)
        .join(ShiftSignup, ShiftSignup.shift_id == DutyShift.id)
        .join(Station, Station.id == DutyShift.station_id)
        .where(
            ShiftSignup.user_id == user.id,
            ShiftSignup.started_at.is_(None),
            DutyShift.closed_at.is_(None),
            DutyShift.starts_at <= now + timedelta(hours=2),
            DutyShift.ends_at > now,
        )
        .order_by(DutyShift.starts_at)
        .limit(limit)
    )
    for shift, station_name in shifts.all():
        items.append(
            {
                "kind": "sign_shift",
                "title": f"值班签到：{station_name}",
                "text": f"{shift.starts_at.astimezone(clock.CHINA):%H:%M} 开始，到站后扫码签到",
                "link": "/scan",
                "tab": "scan",
            }
        )
    return items[:limit]


async def staff_counts(session: AsyncSession, *, user: User) -> dict[str, int]:
    """How many items wait in each staff queue the person can act on (0 where they have no role)."""
    wish_staff = covered_by_role(user.id, Wish.org_id)
    event_staff = covered_by_role(user.id, GridEvent.org_id)
    count = func.count()
    return {
        "wish_review": await _count(
            session, select(count).select_from(Wish).where(Wish.status == WishStatus.submitted, wish_staff)
        ),
        "wish_verify": await _count(
            session, select(count).select_from(Wish).where(Wish.status == WishStatus.confirmed, wish_staff)
        ),
        "event_dispatch": await _count(
            session,
            select(count).select_from(GridEvent).where(GridEvent.status == EventStatus.reported, event_staff),
        ),
        "event_handle": await _count(
            session,
            select(count)
            .select_from(GridEvent)
            .where(
                GridEvent.status == EventStatus.dispatched,
                GridEvent.handler_org_id.is_not(None),
                covered_by_role(user.id, GridEvent.handler_org_id),
            ),
        ),
        "event_check": await _count(
            session,
            select(count).select_from(GridEvent).where(GridEvent.status == EventStatus.handled, event_staff),
        ),
        "report_review": await _count(
            session,
            select(count)
            .select_from(MemberReport)
            .where(
                MemberReport.status == ReportStatus.pending, covered_by_role(user.id, MemberReport.org_id)
            ),
        ),
    }


# Which console page holds which queue, and how the card on home names it.
STAFF_QUEUES = {
    "wish_review": ("/admin/wishes", "心愿待审核"),
    "wish_verify": ("/admin/wishes", "心愿待验收"),
    "event_dispatch": ("/admin/events", "事件待分派"),
    "event_handle": ("/admin/events", "事件待处置"),
    "event_check": ("/admin/events", "事件待核查"),
    "report_review": ("/admin/reports", "报到待审核"),
}


def staff_cards(counts: dict[str, int]) -> list[dict]:
    """One card per staff queue with something in it."""
    return [
        {
            "kind": key,
            "title": f"{STAFF_QUEUES[key][1]} {n} 件",
            "text": "",
            "link": STAFF_QUEUES[key][0],
            "tab": "me",
        }
        for key, n in counts.items()
        if n
    ]


async def badges(session: AsyncSession, *, user: User) -> dict[str, int]:
    """The red dots on the tab bar: unread messages on 我的, wishes to confirm on 心愿."""
    unread = await _count(
        session,
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None)),
    )
    to_confirm = await _count(
        session,
        select(func.count())
        .select_from(Wish)
        .where(Wish.poster_id == user.id, Wish.status == WishStatus.done),
    )
    return {"me": unread, "wishes": to_confirm}
