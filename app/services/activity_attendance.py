"""Activity attendance: the live code, sign-in three ways (scan, ticket, phone), sign-out, closing
(crediting every attendee once) and the attendance figures.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.dates import local_time, moment
from app.errors import Conflict, InvalidState, ValidationFailed
from app.hours import hours_text
from app.models.activities import (
    ROSTER_LABELS,
    Activity,
    ActivityClosed,
    ActivityPublic,
    ActivitySignup,
    ActivityStats,
    Attendance,
    AttendancePublic,
    RosterRow,
    SignupStatus,
    credit_ref,
)
from app.models.stations import Checkin, CheckinKind, QrToken
from app.models.user import User
from app.services import audit, lookups, qr
from app.services import credit as credit_rule
from app.services import ledger as ledger_service
from app.services import users as users_service
from app.services.activities import (
    CLOSE_UNDO_WINDOW,
    activity_detail,
    get_activity,
    is_organiser,
    require_organiser,
    undo_close_until,
)
from app.services.activity_signups import take_place
from app.xlsx import workbook

EARLY_SIGN_IN = timedelta(minutes=30)


async def live_qr(session: AsyncSession, *, activity_id: int, actor: User) -> QrToken:
    """The organiser's live sign-in code; it rotates every 30 seconds."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    token, expires_at, short = qr.live_token("a", activity.id, at=clock.now())
    return QrToken(token=token, expires_at=expires_at, url=qr.scan_url(token), short_code=short)


def _attendance_public(row: Attendance, user: User, *, show_phone: bool, duplicate: bool) -> AttendancePublic:
    return AttendancePublic(
        activity_id=row.activity_id,
        user=lookups.person_brief(user, show_phone=show_phone),
        method=row.method,
        signed_in_at=row.signed_in_at,
        signed_out_at=row.signed_out_at,
        credited_minutes=row.credited_minutes,
        duplicate=duplicate,
    )


async def attend(
    session: AsyncSession, *, activity: Activity, user: User, method: str, acted_by_id: int | None
) -> tuple[Attendance, Checkin, bool]:
    """Sign a person in (flushes): window and sign-up checked; (attendance, check-in, duplicate)."""
    now = clock.now()
    existing = await _existing(session, activity.id, user.id)
    if existing:
        return (*existing, True)
    if activity.closed_at is not None:
        raise InvalidState("活动已结束", code="activity_closed")
    if not (activity.starts_at - EARLY_SIGN_IN <= now <= activity.ends_at):
        raise Conflict("不在签到时间内（活动开始前 30 分钟至活动结束）", code="activity_not_open")
    if activity.signup_required:
        status = (
            await session.exec(
                select(ActivitySignup.status).where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == user.id
                )
            )
        ).first()
        if status != SignupStatus.signed_up:
            raise Conflict("您未报名该活动，请先报名", code="not_signed_up")
    attendance = Attendance(
        activity_id=activity.id, user_id=user.id, method=method, acted_by_id=acted_by_id, signed_in_at=now
    )
    checkin = Checkin(
        user_id=user.id,
        code_key=f"a:{activity.id}",
        kind=CheckinKind.activity,
        activity_id=activity.id,
        acted_by_id=acted_by_id,
        at=now,
    )
    try:
        async with session.begin_nested():
            session.add(attendance)
            session.add(checkin)
            await session.flush()
    except IntegrityError:  # the same person signed in by another path in the same instant
        existing = await _existing(session, activity.id, user.id)
        if existing is None:
            raise
        return (*existing, True)
    return attendance, checkin, False


async def _existing(
    session: AsyncSession, activity_id: int, user_id: int
) -> tuple[Attendance, Checkin] | None:
    attendance = (
        await session.exec(
            select(Attendance).where(Attendance.activity_id == activity_id, Attendance.user_id == user_id)
        )
    ).first()
    checkin = (
        await session.exec(
            select(Checkin).where(Checkin.user_id == user_id, Checkin.code_key == f"a:{activity_id}")
        )
    ).first()
    return (attendance, checkin) if attendance and checkin else None


async def sign_in_by_ticket(
    session: AsyncSession, *, activity_id: int, token: str, actor: User
) -> AttendancePublic:
    """The organiser scans an attendee's personal ticket code."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    code = qr.read(token, at=clock.now())
    if code.kind != "t" or code.object_id != activity.id:
        raise qr.InvalidToken("这不是本活动的入场码")
    person = await session.get(User, code.n)
    if person is None:
        raise qr.InvalidToken("入场码无效")
    attendance, _, duplicate = await attend(
        session, activity=activity, user=person, method="ticket", acted_by_id=actor.id
    )
    if not duplicate:
        await audit.record(
            session,
            actor_id=actor.id,
            action="activity.sign_in",
            object_type="activity",
            object_id=activity.id,
            org_id=activity.org_id,
            on_behalf_of_id=person.id,
            detail={"method": "ticket"},
        )
    await session.commit()
    return _attendance_public(attendance, person, show_phone=True, duplicate=duplicate)


async def _sign_up_at_door(
    session: AsyncSession, *, activity: Activity, person: User, over_capacity: bool = False
) -> bool:
    """Give a walk-in without a sign-up a place (flushes); full → 409 activity_full, unless the
    organiser lets them in beyond capacity (then True: the caller records it)."""
    row = (
        await session.exec(
            select(ActivitySignup).where(
                ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == person.id
            )
        )
    ).first()
    if row is not None and row.status == SignupStatus.signed_up:
        return False
    beyond = False
    if not await take_place(session, activity.id):  # the places' lock is held from here on
        if not over_capacity:
            raise Conflict("活动名额已满；如仍让这位居民参加，请选择超出名额签到", code="activity_full")
        await session.exec(
            update(Activity).where(Activity.id == activity.id).values(signed_up=Activity.signed_up + 1)
        )
        beyond = True
    now = clock.now()
    if row is None:
        row = ActivitySignup(activity_id=activity.id, user_id=person.id, updated_at=now)
    row.status, row.updated_at = SignupStatus.signed_up, now
    session.add(row)
    await session.flush()
    return beyond


async def sign_in_by_phone(
    session: AsyncSession,
    *,
    activity_id: int,
    phone: str,
    actor: User,
    name: str | None = None,
    over_capacity: bool = False,
) -> AttendancePublic:
    """The organiser signs in someone without a smartphone by phone (audit-logged as acting for them).

    A person not yet registered is created; one without a sign-up gets a place if any is left, or,
    when the organiser says so for a walk-in, a place beyond capacity (recorded in the audit log).
    """
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    # Someone without a smartphone may have no account yet: the organiser registers them at the door.
    person = await users_service.get_or_create_by_phone(
        session, phone=phone, name=name or "", registered_at=activity.org_id
    )
    beyond = False
    if activity.signup_required and activity.closed_at is None:
        beyond = await _sign_up_at_door(
            session, activity=activity, person=person, over_capacity=over_capacity
        )
    attendance, _, duplicate = await attend(
        session, activity=activity, user=person, method="phone", acted_by_id=actor.id
    )
    if not duplicate:
        await audit.record(
            session,
            actor_id=actor.id,
            action="activity.sign_in",
            object_type="activity",
            object_id=activity.id,
            org_id=activity.org_id,
            on_behalf_of_id=person.id,
            detail={"method": "phone", **({"over_capacity": True} if beyond else {})},
        )
    await session.commit()
    return _attendance_public(attendance, person, show_phone=True, duplicate=duplicate)


async def _credit_attendance(
    session: AsyncSession,
    *,
    activity: Activity,
    attendance: Attendance,
    actor_id: int | None,
    close_round: int,
    by_close: bool = False,
    policy: credit_rule.CreditPolicy | None = None,
) -> bool:
    """Credit one attendee once by the crediting rule: service kinds earn the stay (bounded by the
    activity and rounded), study and meetings record attendance with 0 minutes. The conditional
    UPDATE of `credited_minutes` decides who settles it; the ledger is idempotent too, by the
    reference of the activity's crediting round (`close_round`, read under the activity's lock)."""
    policy = policy or await credit_rule.policy_for(session, org_id=activity.org_id)

    async def settle(minutes: int) -> bool:
        won = await session.exec(
            update(Attendance)
            .where(Attendance.id == attendance.id, Attendance.credited_minutes.is_(None))
            .values(credited_minutes=minutes, **_settled(close_round, by_close=by_close))
        )
        return won.rowcount == 1

    ref_type, ref_id = credit_ref(activity.id, close_round)

    credited = await credit_rule.award(
        session,
        org_id=activity.org_id,
        user_id=attendance.user_id,
        served=_served(policy, activity, attendance),
        bound=_bound(activity),
        ref_type=ref_type,
        ref_id=ref_id,
        memo=_memo(activity),
        actor_id=actor_id,
        policy=policy,
        settle=settle,
    )
    return credited is not None


def _served(policy: credit_rule.CreditPolicy, activity: Activity, attendance: Attendance) -> int:
    """What an attendance serves before bounding and rounding: service kinds the stay, others nothing."""
    if not credit_rule.is_service_kind(activity.kind):
        return 0
    return policy.stay(
        signed_in_at=attendance.signed_in_at,
        signed_out_at=attendance.signed_out_at,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        closed_at=activity.closed_at,
    )


def _bound(activity: Activity) -> int:
    return credit_rule.CreditPolicy.activity_bound(
        starts_at=activity.starts_at, ends_at=activity.ends_at, stated=activity.credit_minutes
    )


def _memo(activity: Activity) -> str:
    return f"参加活动：{activity.title}"


def _settled(close_round: int, *, by_close: bool) -> dict:
    """What settling an attendance records beside its minutes."""
    return {"credited_at": clock.now(), "credit_round": close_round, "credited_by_close": by_close}


async def sign_out(
    session: AsyncSession, *, activity_id: int, token: str | None, phone: str | None, actor: User
) -> AttendancePublic:
    """Sign out (rescanning the live code, or by the organiser for someone); credits the minutes once."""
    activity = await get_activity(session, activity_id=activity_id)
    now = clock.now()
    if phone:
        await require_organiser(session, activity=activity, user=actor)
        person = await users_service.get_by_phone(session, phone=phone)
    else:
        if not token:
            raise ValidationFailed("请扫描现场签到码签退", code="token_required")
        code = qr.read(token, at=now)
        if code.kind != "a" or code.object_id != activity.id:
            raise qr.InvalidToken("这不是本活动的签到码")
        person = actor
    attendance = (
        await session.exec(
            select(Attendance).where(Attendance.activity_id == activity.id, Attendance.user_id == person.id)
        )
    ).first()
    if attendance is None:
        raise Conflict("尚未签到，不能签退", code="not_signed_in")
    duplicate = attendance.signed_out_at is not None
    policy = await credit_rule.policy_for(session, org_id=activity.org_id)
    # An organiser's own attendance is credited only when another organiser closes the activity.
    self_credit = person.id == actor.id and await is_organiser(session, activity=activity, user=person)
    if not duplicate:
        close_round = await _crediting_round(session, activity.id)
        await session.exec(
            update(Attendance)
            .where(Attendance.id == attendance.id, Attendance.signed_out_at.is_(None))
            .values(signed_out_at=now)
        )
        attendance.signed_out_at = now
        if not self_credit:
            await _credit_attendance(
                session,
                activity=activity,
                attendance=attendance,
                actor_id=actor.id,
                close_round=close_round,
                policy=policy,
            )
        if person.id != actor.id:
            await audit.record(
                session,
                actor_id=actor.id,
                action="activity.sign_out",
                object_type="activity",
                object_id=activity.id,
                org_id=activity.org_id,
                on_behalf_of_id=person.id,
            )
    await session.commit()
    await session.refresh(attendance)
    return _attendance_public(
        attendance, person, show_phone=person.id == actor.id or bool(phone), duplicate=duplicate
    )


async def close_activity(session: AsyncSession, *, activity_id: int, actor: User) -> ActivityClosed:
    """Close the activity: credit every attendee once, record no-shows; later or concurrent calls change nothing."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    if clock.now() < activity.starts_at:
        raise Conflict("活动尚未开始，不能结束（结束后未签到的人会记为缺席）", code="activity_not_started")
    for _ in range(3):
        credited = await settle(session, activity=activity, actor_id=actor.id)
        if credited is not None:
            await audit.record(
                session,
                actor_id=actor.id,
                action="activity.close",
                object_type="activity",
                object_id=activity.id,
                org_id=activity.org_id,
                detail={"credited": credited},
            )
        await session.commit()
        await session.refresh(activity)
        if activity.closed_at is not None:
            break
        # Someone else's close won, then an undo reopened the activity before we read it back: the
        # caller asked for it closed, so close it (again); never answer with a close that is not there.
    else:
        raise InvalidState("活动状态刚刚发生了变化，请刷新后再试")
    stats = await _figures(session, activity.id)
    return ActivityClosed(
        activity_id=activity.id,
        closed_at=activity.closed_at,
        attended=stats["attended"],
        credited=credited or 0,
        no_shows=stats["no_shows"],
    )


async def settle(session: AsyncSession, *, activity: Activity, actor_id: int) -> int | None:
    """Close the activity once (conditional UPDATE) at the clock's now: credit every attendance but the
    closer's own (an organiser does not credit themselves), mark who signed up and never came as absent.
    Returns how many were credited, None if someone closed it first. Flushes only; the caller commits."""
    now = clock.now()
    close_round = (
        await session.exec(
            update(Activity)
            .where(Activity.id == activity.id, Activity.closed_at.is_(None))
            .values(closed_at=now)
            .returning(Activity.close_round)
        )
    ).scalar_one_or_none()
    if close_round is None:
        return None
    activity.closed_at, activity.close_round = now, close_round
    rows = (
        await session.exec(
            select(Attendance)
            .where(
                Attendance.activity_id == activity.id,
                Attendance.credited_minutes.is_(None),
                Attendance.user_id != actor_id,
            )
            .order_by(col(Attendance.id))
        )
    ).all()
    credited = 0
    if rows:
        policy = await credit_rule.policy_for(session, org_id=activity.org_id)
        ids = [cast(int, a.id) for a in rows]

        async def settle_all(minutes: list[int]) -> list[bool]:
            """Every attendance's minutes in one conditional UPDATE; a sign-out that settled one first wins it."""
            settled = _settled(close_round, by_close=True)
            won = set(
                (
                    await session.exec(
                        update(Attendance)
                        .where(col(Attendance.id).in_(ids), Attendance.credited_minutes.is_(None))
                        .values(
                            credited_minutes=case(dict(zip(ids, minutes, strict=True)), value=Attendance.id),
                            **settled,
                        )
                        .returning(Attendance.id)
                        .execution_options(synchronize_session=False)
                    )
                ).scalars()
            )
            for attendance, decided in zip(rows, minutes, strict=True):
                if attendance.id in won:  # the loaded rows read what was written, as an ORM update's would
                    for name, value in {"credited_minutes": decided, **settled}.items():
                        set_committed_value(attendance, name, value)
            return [i in won for i in ids]

        ref_type, ref_id = credit_ref(activity.id, close_round)
        decided = await credit_rule.award_many(
            session,
            org_id=activity.org_id,
            claims=[
                credit_rule.Claim(a.user_id, _served(policy, activity, a), ref_type, ref_id, _memo(activity))
                for a in rows
            ],
            bound=_bound(activity),
            actor_id=actor_id,
            policy=policy,
            settle=settle_all,
        )
        credited = sum(minutes is not None for minutes in decided)
    attended = select(Attendance.user_id).where(Attendance.activity_id == activity.id)
    await session.exec(
        update(ActivitySignup)
        .where(
            ActivitySignup.activity_id == activity.id,
            ActivitySignup.status == SignupStatus.signed_up,
            ActivitySignup.user_id.not_in(attended),
        )
        .values(no_show=True)
    )
    return credited


async def undo_close(session: AsyncSession, *, activity_id: int, actor: User) -> ActivityPublic:
    """Undo a close within `CLOSE_UNDO_WINDOW` of it (organiser): its credits are reversed, its no-show
    marks removed and the activity is open again; a later close credits afresh. Exactly once."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    if activity.closed_at is None:
        raise Conflict("活动尚未结束，无需撤销", code="activity_not_closed")
    if undo_close_until(activity) is None:
        minutes = int(CLOSE_UNDO_WINDOW.total_seconds() // 60)
        raise Conflict(f"活动结束已超过 {minutes} 分钟，不能再撤销", code="undo_window_passed")
    closed_at, undone_round = activity.closed_at, activity.close_round
    try:
        async with session.begin_nested():  # a refusal below leaves nothing of the undo behind
            reversed_count = await reopen(session, activity=activity, actor_id=actor.id)
    except ledger_service.InsufficientBalance as exc:
        raise Conflict("有参加者已用掉这次活动记入的时长，不能撤销结束", code="credit_already_spent") from exc
    if reversed_count is None:
        raise Conflict("结束已被撤销，请刷新页面", code="activity_not_closed")
    await audit.record(
        session,
        actor_id=actor.id,
        action="activity.close_undo",
        object_type="activity",
        object_id=activity.id,
        org_id=activity.org_id,
        detail={"closed_at": closed_at.isoformat(), "round": undone_round, "reversed": reversed_count},
    )
    await session.commit()
    return await activity_detail(session, activity_id=activity.id, viewer=actor)


async def reopen(session: AsyncSession, *, activity: Activity, actor_id: int) -> int | None:
    """Take back the close the caller saw (conditional UPDATE on its round; None if someone undid it
    first): reverse every credit that close posted through the ledger, clear those attendances'
    credit and the no-show marks, and start the next crediting round. Returns how many credits were
    reversed. Flushes only; the caller commits.

    Lock order as closing and signing out: the activity's row, its attendances, the ledger's chain."""
    undone_round = activity.close_round
    next_round = (
        await session.exec(
            update(Activity)
            .where(
                Activity.id == activity.id,
                Activity.closed_at.is_not(None),
                Activity.close_round == undone_round,
            )
            .values(closed_at=None, close_round=Activity.close_round + 1)
            .returning(Activity.close_round)
        )
    ).scalar_one_or_none()
    if next_round is None:
        return None
    activity.closed_at, activity.close_round = None, next_round
    settled = (
        await session.exec(
            select(Attendance.id, Attendance.user_id, Attendance.credited_minutes).where(
                Attendance.activity_id == activity.id,
                Attendance.credit_round == undone_round,
                Attendance.credited_by_close.is_(True),
                Attendance.credited_minutes.is_not(None),
            )
        )
    ).all()
    ref_type, ref_id = credit_ref(activity.id, undone_round)
    reversed_count = 0
    for _, user_id, minutes in settled:
        if not minutes:
            continue  # settled with nothing to post (study, or under the minimum stay)
        txn = await ledger_service.find_by_ref(session, ref_type=ref_type, ref_id=ref_id, user_id=user_id)
        if txn is None:
            continue
        await ledger_service.reverse_credit(
            session, txn_id=cast(int, txn.id), memo=f"撤销结束活动：{activity.title}", actor_id=actor_id
        )  # InsufficientBalance if they spent it already
        reversed_count += 1
    if settled:
        await session.exec(
            update(Attendance)
            .where(Attendance.id.in_([row_id for row_id, _, _ in settled]))
            .values(credited_minutes=None, credited_at=None, credited_by_close=False)
        )
    await session.exec(
        update(ActivitySignup)
        .where(ActivitySignup.activity_id == activity.id, ActivitySignup.no_show.is_(True))
        .values(no_show=False)
    )
    return reversed_count


async def _crediting_round(session: AsyncSession, activity_id: int) -> int:
    """The activity's crediting round, read under a share lock on its row (taken before the
    attendance's): an undo of the close, which moves the round, and a sign-out then wait for each other."""
    return (
        await session.exec(
            select(Activity.close_round).where(Activity.id == activity_id).with_for_update(read=True)
        )
    ).one()


async def _figures(session: AsyncSession, activity_id: int) -> dict[str, int]:
    signed = (
        await session.exec(
            select(func.count())
            .select_from(ActivitySignup)
            .where(ActivitySignup.activity_id == activity_id, ActivitySignup.status == SignupStatus.signed_up)
        )
    ).one()
    attended = (
        await session.exec(
            select(func.count()).select_from(Attendance).where(Attendance.activity_id == activity_id)
        )
    ).one()
    no_shows = (
        await session.exec(
            select(func.count())
            .select_from(ActivitySignup)
            .where(ActivitySignup.activity_id == activity_id, ActivitySignup.no_show.is_(True))
        )
    ).one()
    return {"signed_up": signed, "attended": attended, "no_shows": no_shows}


async def activity_stats(session: AsyncSession, *, activity_id: int, actor: User) -> ActivityStats:
    """Attendance and no-show rates of one activity (no-shows are counted when it is closed)."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    f = await _figures(session, activity.id)
    base = f["signed_up"]
    return ActivityStats(
        activity_id=activity.id,
        signed_up=base,
        attended=f["attended"],
        no_shows=f["no_shows"],
        attendance_rate=round(f["attended"] / base, 4) if base else 0.0,
        no_show_rate=round(f["no_shows"] / base, 4) if base else 0.0,
    )


async def live_count(session: AsyncSession, *, activity_id: int) -> int:
    """How many have signed in (for the organiser's screen)."""
    return (
        await session.exec(
            select(func.count()).select_from(Attendance).where(Attendance.activity_id == activity_id)
        )
    ).one()


async def attendees(
    session: AsyncSession, *, activity_id: int, actor: User, limit: int = 500
) -> list[AttendancePublic]:
    """Who signed in, newest first (organiser)."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    rows = (
        await session.exec(
            select(Attendance, User)
            .join(User, User.id == Attendance.user_id)
            .where(Attendance.activity_id == activity.id)
            .order_by(Attendance.id.desc())
            .limit(limit)
        )
    ).all()
    return [_attendance_public(a, u, show_phone=True, duplicate=False) for a, u in rows]


async def roster(session: AsyncSession, *, activity_id: int, actor: User) -> list[RosterRow]:
    """Everyone on the activity's list with their state (organiser): sign-ups and the waiting list
    with whether they came, and walk-ins who signed in without a sign-up; names and full phones."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    signups = (
        await session.exec(
            select(ActivitySignup, User)
            .join(User, User.id == ActivitySignup.user_id)
            .where(ActivitySignup.activity_id == activity.id, ActivitySignup.status != SignupStatus.cancelled)
            .order_by(ActivitySignup.status.desc(), ActivitySignup.updated_at, ActivitySignup.id)
        )
    ).all()
    came = {
        a.user_id: (a, u)
        for a, u in (
            await session.exec(
                select(Attendance, User)
                .join(User, User.id == Attendance.user_id)
                .where(Attendance.activity_id == activity.id)
                .order_by(Attendance.id)
            )
        ).all()
    }

    def row(user: User, state: str, attendance: Attendance | None) -> RosterRow:
        return RosterRow(
            user=lookups.person_brief(user, show_phone=True),
            state=state,
            state_label=ROSTER_LABELS[state],
            signed_in_at=attendance.signed_in_at if attendance else None,
            signed_out_at=attendance.signed_out_at if attendance else None,
            credited_minutes=attendance.credited_minutes if attendance else None,
        )

    def attended(attendance: Attendance) -> str:
        return "signed_out" if attendance.signed_out_at else "attended"

    out = []
    for signup, user in signups:
        attendance = came.pop(user.id, (None, None))[0]
        if attendance is not None:
            state = attended(attendance)
        elif signup.status == SignupStatus.waiting:
            state = "waiting"
        else:
            state = "no_show" if signup.no_show else "signed_up"
        out.append(row(user, state, attendance))
    out += [row(user, "walk_in", attendance) for attendance, user in came.values()]
    return out


async def roster_xlsx(session: AsyncSession, *, activity_id: int, actor: User) -> tuple[bytes, str]:
    """The list as a workbook (the organiser's 签到表), and the activity's title for the file name."""
    rows = await roster(session, activity_id=activity_id, actor=actor)
    activity = await get_activity(session, activity_id=activity_id)
    data = await workbook(
        "签到名单",
        ["姓名", "手机号", "状态", "签到时间", "签退时间", "记入时长"],
        (
            [
                r.user.name,
                r.user.phone or "",
                r.state_label,
                local_time(r.signed_in_at),
                local_time(r.signed_out_at),
                hours_text(r.credited_minutes) if r.credited_minutes else "",
            ]
            for r in rows
        ),
    )
    return data, activity.title


async def screen_state(session: AsyncSession, *, activity_id: int, actor: User) -> dict:
    """What the organiser's screen shows now: the live code as SVG, its short form, how many signed in.

    Before sign-in opens (30 minutes before the start) there is no code to scan, only when it opens:
    a code shown earlier would only fail when scanned.
    """
    code = await live_qr(session, activity_id=activity_id, actor=actor)
    activity = await get_activity(session, activity_id=activity_id)
    opens_at = activity.starts_at - EARLY_SIGN_IN
    waiting = clock.now() < opens_at
    return {
        "svg": "" if waiting else await qr.svg(code.url),
        "short_code": "" if waiting else code.short_code,
        "expires_at": code.expires_at.isoformat(),
        "count": await live_count(session, activity_id=activity_id),
        "waiting": f"签到将于{moment(opens_at)}开始" if waiting else "",
    }
