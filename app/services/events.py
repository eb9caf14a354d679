"""Grid events (网格事件): 采集、上报 (report) → 分派 (dispatch) → 处置 (handle) → 督查 (check) → 反馈 (feedback).

MACHINE's transition table is the only place that says which state may follow which; every change of
`grid_events.status` goes through MACHINE (app.statemachine): a conditional update that also writes the history.
The timed jobs (overdue escalation, closing unanswered checks) are `event_timers`.
"""

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from app.models.events import (
    CATEGORIES,
    STATUS_LABELS,
    CheckIn,
    DispatchIn,
    EventCreate,
    EventFeedbackIn,
    EventPublic,
    EventStatus,
    EventStepPublic,
    GridEvent,
    GridEventStep,
    HandleIn,
)
from app.models.org import Org, OrgKind
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    alliance_id,
    covered_by_role,
    has_any_staff_role,
    has_role_over,
    in_subtree,
    path_of,
    require_role_over,
    role_holders,
)
from app.services import audit, figures, lookups
from app.services import member_reports as reports_service
from app.services import notifications as notify_service
from app.services import orgs as orgs_service
from app.services import users as users_service
from app.services.storage import get_storage
from app.statemachine import Machine, move

S = EventStatus
PLACE_KINDS = (OrgKind.community, OrgKind.compound, OrgKind.grid)
MAX_PHOTOS = 3


# The only place that says which state may follow which: every change of `grid_events.status`
# goes through MACHINE, which updates conditionally and writes a history step.
MACHINE = Machine(
    model=GridEvent,
    transitions={
        "dispatch": move({S.reported}, S.dispatched),
        "handle": move({S.dispatched}, S.handled),
        "check": move({S.handled}, S.checked),
        "check_failed": move({S.handled}, S.dispatched),
        "feedback": move({S.checked}, S.closed),
        "reopen": move({S.checked}, S.dispatched),  # the reporter is not satisfied: back to the handler
        "auto_close": move({S.checked}, S.closed),
    },
    history=lambda event, at, actor_id, action, src, dst, note: GridEventStep(
        event_id=event.id, at=at, actor_id=actor_id, action=action, from_status=src, to_status=dst, note=note
    ),
    noun="事件",
    labels=STATUS_LABELS,
)


async def tell(
    session: AsyncSession, event_id: int, *, user_id: int, title: str, body: str = "", kind: str = "event"
) -> None:
    """Put a message about the event in a person's inbox, linking to the event (flushes)."""
    await notify_service.notify(
        session,
        user_id=user_id,
        kind=kind,
        title=title,
        body=body,
        link=f"/events/{event_id}",
        ref_type="event",
        ref_id=event_id,
    )


async def _tell_reporter(session: AsyncSession, event: GridEvent, title: str, body: str = "") -> None:
    """Let the reporter know how their event stands, in their inbox (flushes)."""
    await tell(session, cast(int, event.id), user_id=event.reporter_id, title=title, body=body)


# ---- reading ----


def visible_to(user_id: int):
    """SQL: events the user may see — reported by or for them, in their subtree, or dispatched to their unit."""
    return or_(
        col(GridEvent.reporter_id) == user_id,
        col(GridEvent.acted_by_id) == user_id,
        covered_by_role(user_id, GridEvent.org_id),
        and_(
            col(GridEvent.handler_org_id).is_not(None),
            covered_by_role(user_id, col(GridEvent.handler_org_id)),
        ),
    )


async def _get(session: AsyncSession, event_id: int) -> GridEvent:
    event = await session.get(GridEvent, event_id)
    if event is None:
        raise NotFound("事件不存在", code="event_not_found")
    return event


async def _roles(session: AsyncSession, event: GridEvent, user: User) -> tuple[bool, bool]:
    """(staff over the event's place, staff of the handler)."""
    staff = await has_role_over(session, user_id=cast(int, user.id), org_id=event.org_id)
    handler = bool(event.handler_org_id) and await has_role_over(
        session, user_id=cast(int, user.id), org_id=cast(int, event.handler_org_id)
    )
    return staff, handler


async def _visible(session: AsyncSession, *, event_id: int, user: User) -> tuple[GridEvent, bool, bool]:
    event = await _get(session, event_id)
    staff, handler = await _roles(session, event, user)
    if not (staff or handler or user.id in (event.reporter_id, event.acted_by_id)):
        raise NotFound("事件不存在", code="event_not_found")
    return event, staff, handler


async def to_public(
    session: AsyncSession, events: list[GridEvent], *, viewer: User, with_steps: bool = False
) -> list[EventPublic]:
    """Events as the viewer sees them; the reporter's phone only for them and staff over the place."""
    names = await lookups.org_names(session, [e.org_id for e in events] + [e.handler_org_id for e in events])
    people = await lookups.users_by_id(session, [e.reporter_id for e in events])
    steps: dict[int, list[EventStepPublic]] = {}
    if with_steps and events:
        rows = (
            await session.exec(
                select(GridEventStep)
                .where(col(GridEventStep.event_id).in_([e.id for e in events]))
                .order_by(col(GridEventStep.id))
            )
        ).all()
        for s in rows:
            steps.setdefault(s.event_id, []).append(
                EventStepPublic(at=s.at, actor_id=s.actor_id, action=s.action, note=s.note)
            )
    staff_cache: dict[int, bool] = {}
    out = []
    for e in events:
        if e.org_id not in staff_cache:
            staff_cache[e.org_id] = await has_role_over(
                session, user_id=cast(int, viewer.id), org_id=e.org_id
            )
        show = viewer.id == e.reporter_id or staff_cache[e.org_id]
        out.append(
            EventPublic(
                id=cast(int, e.id),
                org_id=e.org_id,
                org_name=names.get(e.org_id),
                category=e.category,
                description=e.description,
                lat=e.lat,
                lng=e.lng,
                address=e.address,
                photos=list(e.photos),
                status=EventStatus(e.status),
                reporter=lookups.person_brief(people[e.reporter_id], show_phone=show),
                acted_by_id=e.acted_by_id,
                handler_org_id=e.handler_org_id,
                handler_org_name=names.get(e.handler_org_id) if e.handler_org_id else None,
                due_at=e.due_at,
                dispatched_at=e.dispatched_at,
                handled_at=e.handled_at,
                handle_note=e.handle_note,
                checked_at=e.checked_at,
                check_note=e.check_note,
                closed_at=e.closed_at,
                satisfied=e.satisfied,
                feedback_comment=e.feedback_comment,
                overdue=e.overdue,
                escalation_level=e.escalation_level,
                escalated_org_id=e.escalated_org_id,
                created_at=e.created_at,
                events=steps.get(cast(int, e.id), []),
            )
        )
    return out


async def get_event(session: AsyncSession, *, event_id: int, actor: User) -> EventPublic:
    """One event with its history, for the reporter, staff over it and the handler; anyone else 404."""
    event, _, _ = await _visible(session, event_id=event_id, user=actor)
    return (await to_public(session, [event], viewer=actor, with_steps=True))[0]


async def viewer_roles(session: AsyncSession, *, event_id: int, actor: User) -> dict:
    """What the viewer may do to the event (for the page): staff, handler, reporter."""
    event, staff, handler = await _visible(session, event_id=event_id, user=actor)
    return {"staff": staff, "handler": handler, "reporter": event.reporter_id == actor.id}


async def list_events(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    org_id: int | None = None,
    status: str | None = None,
    mine: bool = False,
    queue: str | None = None,
    overdue: bool | None = None,
) -> tuple[list[EventPublic], str | None]:
    """Events the actor may see, cut by subtree and status.

    `queue`: `dispatch` (reported, in your subtree), `handle` (dispatched to your unit), `check`
    (handled, in your subtree).
    """
    stmt = select(GridEvent).where(visible_to(cast(int, actor.id)))
    if mine:
        stmt = stmt.where(or_(col(GridEvent.reporter_id) == actor.id, col(GridEvent.acted_by_id) == actor.id))
    if org_id is not None:
        stmt = stmt.where(in_subtree(GridEvent.org_id, path_of(org_id)))
    if status:
        stmt = stmt.where(GridEvent.status == status)
    if overdue is not None:
        stmt = stmt.where(col(GridEvent.overdue).is_(overdue))
    if queue == "dispatch":
        stmt = stmt.where(
            GridEvent.status == S.reported, covered_by_role(cast(int, actor.id), GridEvent.org_id)
        )
    elif queue == "handle":
        stmt = stmt.where(
            GridEvent.status == S.dispatched,
            col(GridEvent.handler_org_id).is_not(None),
            covered_by_role(cast(int, actor.id), GridEvent.handler_org_id),
        )
    elif queue == "check":
        stmt = stmt.where(
            GridEvent.status == S.handled, covered_by_role(cast(int, actor.id), GridEvent.org_id)
        )
    rows, cursor = await paginate(session, stmt, GridEvent.id, params)
    return await to_public(session, rows, viewer=actor), cursor


# ---- writing ----


async def report_event(session: AsyncSession, *, data: EventCreate, actor: User) -> EventPublic:
    """Report a problem (采集、上报) — yourself, or as staff/a grid worker for someone without a phone."""
    org = await session.get(Org, data.org_id)
    if org is None or org.kind not in PLACE_KINDS:
        raise ValidationFailed("请选择事件所在的社区、小区或网格", code="invalid_org")
    if data.category not in CATEGORIES:
        raise ValidationFailed(
            "请选择事件类别",
            code="invalid_category",
            extra={"errors": [{"field": "category", "code": "enum", "message": "不是可选的值"}]},
        )
    reporter, acted_by = actor, None
    if data.on_behalf_of_phone:
        await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id))
        reporter = await users_service.get_or_create_by_phone(
            session, phone=data.on_behalf_of_phone, registered_at=org.id
        )
        acted_by = actor
    now = clock.now()
    event = GridEvent(
        org_id=cast(int, org.id),
        category=data.category,
        description=data.description,
        lat=data.lat,
        lng=data.lng,
        address=data.address,
        reporter_id=cast(int, reporter.id),
        acted_by_id=acted_by.id if acted_by else None,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    note = f"由{acted_by.name or '工作人员'}代为上报" if acted_by else None
    session.add(
        GridEventStep(
            event_id=cast(int, event.id),
            at=now,
            actor_id=actor.id,
            action="report",
            to_status=S.reported,
            note=note,
        )
    )
    if acted_by:
        await audit.record(
            session,
            actor_id=actor.id,
            action="event.report_for",
            object_type="grid_event",
            object_id=event.id,
            org_id=org.id,
            on_behalf_of_id=reporter.id,
        )
        await _tell_reporter(
            session,
            event,
            f"{acted_by.name or '工作人员'}已代您反映问题",
            "登录党建e家，在“我的 · 随手拍”中可以查看办理进度",
        )
    await session.flush()
    await session.commit()
    return (await to_public(session, [event], viewer=actor, with_steps=True))[0]


async def _must_be_staff(session: AsyncSession, event_id: int, actor: User) -> GridEvent:
    event, staff, _ = await _visible(session, event_id=event_id, user=actor)
    if not staff:
        raise Forbidden("只有事件所在社区的工作人员可以操作")
    return event


async def dispatch_event(
    session: AsyncSession, *, event_id: int, data: DispatchIn, actor: User
) -> EventPublic:
    """Send a reported event to a handler (a unit or a department) with a due date (分派)."""
    event = await _must_be_staff(session, event_id, actor)
    handler = await session.get(Org, data.handler_org_id)
    place = await orgs_service.get_org(session, org_id=event.org_id)
    # Only within the event's own alliance: a handler elsewhere would see another alliance's events.
    if handler is None or place is None or (alliance_id(handler) != alliance_id(place)):
        raise ValidationFailed("请选择本联盟的处置单位", code="invalid_handler")
    if data.due_at.tzinfo is None or data.due_at <= clock.now():
        raise ValidationFailed("处置期限须晚于现在", code="invalid_due_at")
    now = clock.now()
    await MACHINE.apply_or_conflict(
        session,
        event,
        "dispatch",
        actor_id=actor.id,
        note=f"分派至{handler.name}",
        values={"handler_org_id": handler.id, "due_at": data.due_at, "dispatched_at": now},
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="event.dispatch",
        object_type="grid_event",
        object_id=event.id,
        org_id=event.org_id,
        detail={"handler_org_id": handler.id},
    )
    await session.commit()
    return await get_event(session, event_id=cast(int, event.id), actor=actor)


async def handle_event(session: AsyncSession, *, event_id: int, data: HandleIn, actor: User) -> EventPublic:
    """The handler reports what it did (处置)."""
    event, _, handler = await _visible(session, event_id=event_id, user=actor)
    if not handler:
        raise Forbidden("只有处置单位的工作人员可以提交处置结果")
    now = clock.now()
    on_time = event.due_at is None or now <= event.due_at
    await MACHINE.apply_or_conflict(
        session,
        event,
        "handle",
        actor_id=actor.id,
        note=data.note,
        values={"handled_at": now, "handle_note": data.note, "handled_on_time": on_time},
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="event.handle",
        object_type="grid_event",
        object_id=event.id,
        org_id=event.handler_org_id,
    )
    await _tell_reporter(session, event, "您反映的问题已处置", data.note[:100])
    await session.commit()
    return await get_event(session, event_id=cast(int, event.id), actor=actor)


async def check_event(session: AsyncSession, *, event_id: int, data: CheckIn, actor: User) -> EventPublic:
    """Staff check the handling (督查): passed → checked; failed → back to the handler with a new due date."""
    event = await _must_be_staff(session, event_id, actor)
    now = clock.now()
    if data.ok:
        await MACHINE.apply_or_conflict(
            session,
            event,
            "check",
            actor_id=actor.id,
            note=data.note,
            values={"checked_at": now, "check_note": data.note},
        )
    else:
        if not MACHINE.allowed("check_failed", event.status):
            raise InvalidState("事件当前状态不允许此操作")
        if data.due_at is not None and (data.due_at.tzinfo is None or data.due_at <= now):
            raise ValidationFailed("处置期限须晚于现在", code="invalid_due_at")
        span = (
            (event.due_at - event.dispatched_at)
            if event.due_at and event.dispatched_at
            else timedelta(days=3)
        )
        due = data.due_at or now + max(span, timedelta(hours=1))
        await MACHINE.apply_or_conflict(
            session,
            event,
            "check_failed",
            actor_id=actor.id,
            note=data.note,
            values={
                "check_note": data.note,
                "due_at": due,
                "dispatched_at": now,
                "overdue": False,
                "handled_on_time": None,
            },
        )
    await audit.record(
        session,
        actor_id=actor.id,
        action="event.check",
        object_type="grid_event",
        object_id=event.id,
        org_id=event.org_id,
        detail={"ok": data.ok},
    )
    if data.ok:
        await _tell_reporter(session, event, "您反映的问题已办好，请评价", "对处理结果满意吗？请点开评价")
    await session.commit()
    return await get_event(session, event_id=cast(int, event.id), actor=actor)


async def give_feedback(
    session: AsyncSession, *, event_id: int, data: EventFeedbackIn, actor: User
) -> EventPublic:
    """The reporter says whether they are satisfied (反馈): satisfied closes the event; not satisfied
    reopens it (back to the handler, dispatched with a fresh due date and the reporter's words)."""
    event, _, _ = await _visible(session, event_id=event_id, user=actor)
    if event.reporter_id != actor.id:
        raise Forbidden("只有反映问题的本人可以评价")
    now = clock.now()
    if data.satisfied:
        await MACHINE.apply_or_conflict(
            session,
            event,
            "feedback",
            actor_id=actor.id,
            note=data.comment,
            values={"closed_at": now, "satisfied": True, "feedback_comment": data.comment},
        )
    else:
        span = (
            (event.due_at - event.dispatched_at)
            if event.due_at and event.dispatched_at
            else timedelta(days=3)
        )
        await MACHINE.apply_or_conflict(
            session,
            event,
            "reopen",
            actor_id=actor.id,
            note=f"群众不满意：{data.comment}" if data.comment else "群众不满意",
            values={
                "satisfied": False,
                "feedback_comment": data.comment,
                "due_at": now + max(span, timedelta(hours=1)),
                "dispatched_at": now,
                "overdue": False,
                "handled_on_time": None,
            },
        )
        if event.handler_org_id is not None:
            for user_id in await role_holders(session, org_id=event.handler_org_id):
                await tell(
                    session,
                    cast(int, event.id),
                    user_id=user_id,
                    title="群众对处置结果不满意，事件已退回",
                    body=data.comment or "",
                )
    await session.commit()
    return await get_event(session, event_id=cast(int, event.id), actor=actor)


async def add_photo(session: AsyncSession, *, event_id: int, data: bytes, actor: User) -> EventPublic:
    """The reporter (or staff over the event) adds a photo — JPG/PNG/WebP, at most 5 MB, three per event."""
    event, staff, _ = await _visible(session, event_id=event_id, user=actor)
    if actor.id not in (event.reporter_id, event.acted_by_id) and not staff:
        raise Forbidden("只有反映人可以上传照片")
    if event.status == S.closed:
        raise InvalidState("事件已办结，不能再添加照片")
    if len(event.photos) >= MAX_PHOTOS:
        raise Conflict(f"每个事件最多{MAX_PHOTOS}张照片", code="too_many_photos")
    key = await get_storage().save(data, folder=f"events/{event.id}")
    event.photos = [*event.photos, key]
    event.updated_at = clock.now()
    session.add(event)
    await session.commit()
    return await get_event(session, event_id=cast(int, event.id), actor=actor)


async def get_photo(session: AsyncSession, *, event_id: int, index: int, actor: User) -> tuple[bytes, str]:
    """A photo of an event the actor may see: its bytes and media type."""
    event, _, _ = await _visible(session, event_id=event_id, user=actor)
    if not 0 <= index < len(event.photos):
        raise NotFound("照片不存在", code="photo_not_found")
    return await get_storage().load(event.photos[index])


# ---- numbers (for the lead's stats) ----


async def event_figures(
    session: AsyncSession, *, org_id: int, start: datetime | None = None, end: datetime | None = None
) -> dict:
    """The subtree's event figures in [start, end), each on its own date (figures.FIGURES):

    `reported` by report date, `handled` by handling date, `closed` by closing date (a reporter who is
    not satisfied reopens instead); `on_time_rate` over the events whose due date fell in the period and
    is decided (handled, or the date has passed): handled by it / all of them, so one open past its due
    date counts as late; `overdue` those still open past it; `satisfaction_rate` = satisfied / answered
    among those reported. Rates are None when nothing to divide.
    """
    scope = await orgs_service.get_org(session, org_id=org_id)
    now = clock.now()
    lo = start or datetime(1970, 1, 1, tzinfo=now.tzinfo)
    hi = end or datetime(9999, 1, 1, tzinfo=now.tzinfo)

    def within(col):
        return and_(col >= lo, col < hi)

    def count(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def figure(key):  # the figure's one definition (figures.event_condition), shared with its records
        return figures.event_condition(key, lo, hi, now)

    due_here = figure("events.on_time_rate")
    counts = (
        count(figure("events.reported")),
        count(within(GridEvent.handled_at)),
        count(figure("events.closed")),
        count(and_(due_here, col(GridEvent.handled_on_time).is_(True))),
        count(due_here),
        count(and_(within(GridEvent.created_at), col(GridEvent.satisfied).is_(True))),
        count(and_(within(GridEvent.created_at), col(GridEvent.satisfied).is_not(None))),
        count(figure("events.overdue")),
    )
    # sqlmodel types select() for up to 4 columns; these are 8 counts in one statement
    stmt = select(*counts).where(in_subtree(GridEvent.org_id, scope.path))  # type: ignore[call-overload]
    reported, handled, closed, on_time, due, satisfied, answered, overdue = (
        int(v or 0) for v in (await session.exec(stmt)).one()
    )
    return {
        "reported": reported,
        "handled": handled,
        "closed": closed,
        "overdue": overdue,
        "handling_rate": _rate(handled, reported),
        "on_time_rate": _rate(on_time, due),
        "satisfaction_rate": _rate(satisfied, answered),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def handling_rate(
    session: AsyncSession, *, org_id: int, start: datetime | None = None, end: datetime | None = None
) -> float | None:
    """Share of the events reported in the subtree and period that have been handled."""
    return (await event_figures(session, org_id=org_id, start=start, end=end))["handling_rate"]


async def on_time_rate(
    session: AsyncSession, *, org_id: int, start: datetime | None = None, end: datetime | None = None
) -> float | None:
    """Share of the handled events (reported in the subtree and period) handled by their due date."""
    return (await event_figures(session, org_id=org_id, start=start, end=end))["on_time_rate"]


# ---- what the pages show ----


async def new_page(session: AsyncSession, *, user: User) -> dict:
    """The /events/new page: categories, places to choose from, and whether the person may report for others."""
    alliance = await reports_service.alliance_of_user(session, user=user)
    places = await reports_service.org_choices(session, kinds=PLACE_KINDS, within=alliance)
    mine, _ = await list_events(session, actor=user, params=PageParams(limit=20), mine=True)
    return {
        "categories": CATEGORIES,
        "places": places,
        "home_org_id": user.home_org_id,
        "mine": mine,
        "may_act_for_others": await has_any_staff_role(session, user_id=cast(int, user.id)),
    }


async def event_page(session: AsyncSession, *, event_id: int, user: User) -> dict:
    """The /events/{id} page: the event, its history, and what the viewer may do next."""
    event, staff, handler = await _visible(session, event_id=event_id, user=user)
    public = (await to_public(session, [event], viewer=user, with_steps=True))[0]
    place = await orgs_service.get_org(session, org_id=event.org_id)
    handlers: list[Org] = []
    if staff and event.status == S.reported:
        alliance = await session.get(Org, alliance_id(place))
        handlers = await reports_service.org_choices(
            session, kinds=(OrgKind.unit, OrgKind.community, OrgKind.compound, OrgKind.grid), within=alliance
        )
    return {
        "event": public,
        "staff": staff,
        "handler": handler,
        "reporter": event.reporter_id == user.id,
        "handlers": handlers,
        "can": {
            "dispatch": staff and MACHINE.allowed("dispatch", event.status),
            "handle": handler and MACHINE.allowed("handle", event.status),
            "check": staff and MACHINE.allowed("check", event.status),
            "feedback": event.reporter_id == user.id and MACHINE.allowed("feedback", event.status),
        },
    }


async def admin_page(session: AsyncSession, *, user: User) -> dict:
    """The /admin/events page: events to dispatch, to handle for my unit, to check, and the overdue ones."""
    params = PageParams(limit=50)
    queues = {}
    for name in ("dispatch", "handle", "check"):
        queues[name], _ = await list_events(session, actor=user, params=params, queue=name)
    queues["overdue"], _ = await list_events(
        session, actor=user, params=params, status=S.dispatched, overdue=True
    )
    return {"queues": queues}
