"""Micro-wishes: one transition table, conditional updates, events for every step, and the timers.

群众点单 (post) → 社区下单 (review / dispatch) → 联盟接单 (claim) → 志愿者服务 (done) → 确认评价
(confirm) → 站点验收 (verify, credits the claimer's time bank once).
"""

from datetime import timedelta

from sqlalchemy import and_, case, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from app.models.org import Org, OrgKind, Role
from app.models.user import User, UserBrief
from app.models.wishes import (
    STATUS_LABELS,
    ClaimIn,
    ConfirmIn,
    DoneIn,
    ReviewIn,
    VerifyIn,
    Wish,
    WishClaim,
    WishCreate,
    WishEvent,
    WishEventPublic,
    WishPublic,
    WishStatus,
)
from app.pagination import PageParams, paginate
from app.permissions import covered_by_role, has_role_over
from app.security import mask_phone
from app.services import audit, content, crypto, wish_categories
from app.services import notifications as notify_service
from app.services import users as users_service
from app.services.storage import get_storage
from app.statemachine import Machine, move

S = WishStatus
# A done wish the poster never confirms is confirmed by the timer after this grace period.
CONFIRM_GRACE = timedelta(days=7)
# A claim without a promised date promises this many days.
DEFAULT_PROMISE_DAYS = 7
MAX_PHOTOS = 3

# Once published, a wish is on the wall for every signed-in person; before (and when withdrawn,
# rejected or expired) only its poster, its claimer and staff over it see it.
PUBLIC_STATES = frozenset({S.published, S.claimed, S.done, S.confirmed, S.verified})
CLAIMED_STATES = frozenset({S.claimed, S.done, S.confirmed, S.verified})


# The only place that says which state may follow which. Every change of `wishes.status` goes
# through MACHINE, which reads this table, updates conditionally and writes an event.
MACHINE = Machine(
    model=Wish,
    transitions={
        "publish": move({S.submitted}, S.published),
        "reject": move({S.submitted}, S.rejected),
        "claim": move({S.published}, S.claimed),
        "release": move({S.claimed}, S.published),
        "release_overdue": move({S.claimed}, S.published),
        "done": move({S.claimed}, S.done),
        "confirm": move({S.done}, S.confirmed),
        "auto_confirm": move({S.done}, S.confirmed),
        "verify": move({S.confirmed}, S.verified),
        "cancel": move({S.submitted, S.published}, S.cancelled),
        "expire": move({S.submitted, S.published}, S.expired),
    },
    history=lambda wish, at, actor_id, action, src, dst, note: WishEvent(
        wish_id=wish.id, at=at, actor_id=actor_id, action=action, from_status=src, to_status=dst, note=note
    ),
    noun="心愿",
    labels=STATUS_LABELS,
)


async def transition(
    session: AsyncSession,
    wish: Wish,
    action: str,
    *,
    actor_id: int | None,
    note: str | None = None,
    values: dict | None = None,
) -> bool:
    """Move a wish through the transition table without committing (for the demo and other services)."""
    return await MACHINE.apply(session, wish, action, actor_id=actor_id, note=note, values=values)


# ---- reading ----


async def _get(session: AsyncSession, wish_id: int) -> Wish:
    wish = await session.get(Wish, wish_id)
    if wish is None:
        raise NotFound("心愿不存在", code="wish_not_found")
    return wish


async def _is_staff(session: AsyncSession, *, user: User, wish: Wish) -> bool:
    return await has_role_over(session, user_id=user.id, org_id=wish.org_id)


def _can_see(wish: Wish, *, user: User, staff: bool) -> bool:
    return wish.status in PUBLIC_STATES or user.id in (wish.poster_id, wish.claimer_id) or staff


async def _alliance_root(session: AsyncSession, user: User) -> str | None:
    """The path prefix of the alliance the user lives in ("/1/"), if they have set a home."""
    home = await session.get(Org, user.home_org_id) if user.home_org_id else None
    return "/" + home.path.strip("/").split("/")[0] + "/" if home else None


async def _visible(session: AsyncSession, *, wish_id: int, user: User) -> tuple[Wish, bool]:
    """The wish and whether the user is staff over it; someone else's private wish is 404.

    Published wishes are for the people of the alliance they were posted in (anyone without a
    home yet sees every alliance's wall).
    """
    wish = await _get(session, wish_id)
    staff = await _is_staff(session, user=user, wish=wish)
    if not _can_see(wish, user=user, staff=staff):
        raise NotFound("心愿不存在", code="wish_not_found")
    if not staff and user.id not in (wish.poster_id, wish.claimer_id):
        root = await _alliance_root(session, user)
        org = await session.get(Org, wish.org_id)
        if root and org and not org.path.startswith(root):
            raise NotFound("心愿不存在", code="wish_not_found")
    return wish, staff


async def _may_claim_dispatched(session: AsyncSession, *, user: User, wish: Wish) -> bool:
    """A wish dispatched to a member unit may be claimed only by that unit's people."""
    if wish.assigned_org_id is None:
        return True
    stmt = select(Role.id).where(Role.user_id == user.id, Role.org_id == wish.assigned_org_id).limit(1)
    if (await session.exec(stmt)).first() is not None:
        return True
    return await _employed_by(session, user_id=user.id, unit_id=wish.assigned_org_id)


async def _employed_by(session: AsyncSession, *, user_id: int, unit_id: int) -> bool:
    """A party member whose approved report to their branch names the unit as their employer."""
    from app.models.member_reports import MemberReport

    stmt = (
        select(MemberReport.id)
        .where(
            MemberReport.user_id == user_id,
            MemberReport.employer_unit_id == unit_id,
            MemberReport.status == "approved",
        )
        .limit(1)
    )
    return (await session.exec(stmt)).first() is not None


def actions_for(wish: Wish, *, user: User, staff: bool, may_claim: bool = True) -> list[str]:
    """Exactly the actions this viewer may take on the wish now."""
    me = user.id
    acts = []
    if staff and MACHINE.allowed("publish", wish.status):
        acts.append("review")
    if me != wish.poster_id and MACHINE.allowed("claim", wish.status) and may_claim:
        acts.append("claim")
    if me == wish.claimer_id and MACHINE.allowed("release", wish.status):
        acts += ["release", "done"]
    if me == wish.poster_id and MACHINE.allowed("confirm", wish.status):
        acts.append("confirm")
    if staff and MACHINE.allowed("verify", wish.status):
        acts.append("verify")
    if me == wish.poster_id and MACHINE.allowed("cancel", wish.status):
        acts.append("cancel")
    return acts


def _brief(person: User | None, *, full: bool) -> UserBrief | None:
    if person is None:
        return None
    return UserBrief(id=person.id, name=person.name, phone=person.phone if full else mask_phone(person.phone))


def _public(
    wish: Wish,
    *,
    viewer: User,
    staff: bool,
    people: dict[int, User],
    org_name: str | None,
    events: list[WishEvent] | None = None,
    actions: list[str] | None = None,
) -> WishPublic:
    me = viewer.id
    is_claimer = wish.claimer_id is not None and me == wish.claimer_id and wish.status in CLAIMED_STATES
    # The poster's phone goes to the claimer once claimed (and to staff over it); masked for the rest.
    poster_full = me == wish.poster_id or staff or is_claimer
    claimer_full = me == wish.claimer_id or staff or me == wish.poster_id
    # A child's name and school: the poster and the claimer only, masked for everyone else.
    child_full = me == wish.poster_id or is_claimer
    child_name = crypto.decrypt(wish.child_name_enc)
    child_school = crypto.decrypt(wish.child_school_enc)
    if not child_full:
        child_name, child_school = crypto.mask_name(child_name), crypto.mask_text(child_school)
    return WishPublic(
        id=wish.id,
        org_id=wish.org_id,
        org_name=org_name,
        title=wish.title,
        description=wish.description,
        category=wish.category,
        status=wish.status,
        deadline=wish.deadline,
        poster=_brief(people.get(wish.poster_id), full=poster_full),
        claimer=_brief(people.get(wish.claimer_id), full=claimer_full) if wish.claimer_id else None,
        assigned_org_id=wish.assigned_org_id,
        reject_reason=wish.reject_reason if (staff or me == wish.poster_id) else None,
        promise_date=wish.promise_date,
        claimed_at=wish.claimed_at,
        done_note=wish.done_note,
        minutes_spent=wish.minutes_spent,
        rating=wish.rating,
        comment=wish.comment,
        credit_minutes=wish.credit_minutes,
        verify_note=wish.verify_note,
        published_at=wish.published_at,
        verified_at=wish.verified_at,
        created_at=wish.created_at,
        child_name=child_name,
        child_school=child_school,
        photos=[f"/api/v1/wishes/{wish.id}/photos/{i}" for i in range(len(wish.photos))],
        actions=actions or [],
        events=[
            WishEventPublic(at=e.at, actor_id=e.actor_id, action=e.action, note=e.note) for e in events or []
        ],
    )


async def _people(session: AsyncSession, ids: set[int | None]) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in (await session.exec(select(User).where(User.id.in_(ids)))).all()}


async def _org_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.name for o in (await session.exec(select(Org).where(Org.id.in_(ids)))).all()}


async def view(session: AsyncSession, *, wish: Wish, viewer: User, staff: bool | None = None) -> WishPublic:
    """One wish as this viewer may see it, with its history and the actions open to them."""
    if staff is None:
        staff = await _is_staff(session, user=viewer, wish=wish)
    people = await _people(session, {wish.poster_id, wish.claimer_id})
    events = list(
        (
            await session.exec(select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.id))
        ).all()
    )
    may_claim = await _may_claim_dispatched(session, user=viewer, wish=wish)
    org = await session.get(Org, wish.org_id)
    return _public(
        wish,
        viewer=viewer,
        staff=staff,
        people=people,
        org_name=org.name if org else None,
        events=events,
        actions=actions_for(wish, user=viewer, staff=staff, may_claim=may_claim),
    )


async def _views(session: AsyncSession, rows: list[tuple[Wish, bool]], viewer: User) -> list[WishPublic]:
    people = await _people(session, {w.poster_id for w, _ in rows} | {w.claimer_id for w, _ in rows})
    names = await _org_names(session, {w.org_id for w, _ in rows})
    return [
        _public(w, viewer=viewer, staff=bool(staff), people=people, org_name=names.get(w.org_id))
        for w, staff in rows
    ]


async def get_wish(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """One wish with its events; someone else's unpublished wish is 404."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def list_wishes(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    org_id: int | None = None,
    status: WishStatus | None = None,
    category: str | None = None,
    mine: bool = False,
    side: str | None = None,
) -> tuple[list[WishPublic], str | None]:
    """Wishes the actor may see: published ones for everyone, the rest for their poster and staff over them.

    `mine` keeps the actor's own wishes and claims (`side` = "posted" or "claimed" keeps one of them).
    """
    staff = covered_by_role(actor.id, Wish.org_id)
    stmt = select(Wish, staff.label("is_staff"))
    if mine:
        if side == "posted":
            stmt = stmt.where(Wish.poster_id == actor.id)
        elif side == "claimed":
            stmt = stmt.where(Wish.claimer_id == actor.id)
        else:
            stmt = stmt.where(or_(Wish.poster_id == actor.id, Wish.claimer_id == actor.id))
    else:
        public = Wish.status.in_(tuple(PUBLIC_STATES))
        root = await _alliance_root(session, actor)
        if root:
            public = and_(public, Wish.org_id.in_(select(Org.id).where(Org.path.startswith(root))))
        stmt = stmt.where(or_(public, Wish.poster_id == actor.id, Wish.claimer_id == actor.id, staff))
    if org_id is not None:
        org = await session.get(Org, org_id)
        if org is None:
            raise NotFound("组织不存在", code="org_not_found")
        stmt = stmt.where(Wish.org_id.in_(select(Org.id).where(Org.path.startswith(org.path))))
    if status is not None:
        stmt = stmt.where(Wish.status == status)
    if category:
        stmt = stmt.where(Wish.category == category)
    rows, cursor = await paginate(session, stmt, Wish.id, params)
    return await _views(session, [(r[0], r[1]) for r in rows], actor), cursor


async def wall(
    session: AsyncSession, *, user: User, category: str | None = None, limit: int = 20
) -> list[WishPublic]:
    """Published wishes of the viewer's alliance, their own compound's first (the home page and /wishes)."""
    home = await session.get(Org, user.home_org_id) if user.home_org_id else None
    stmt = select(Wish).join(Org, Org.id == Wish.org_id).where(Wish.status == S.published)
    if home is not None:
        root = await _alliance_root(session, user)
        stmt = stmt.where(Org.path.startswith(root)).order_by(
            case((Org.path.startswith(home.path), 0), else_=1), Wish.id.desc()
        )
    else:
        stmt = stmt.order_by(Wish.id.desc())
    if category:
        stmt = stmt.where(Wish.category == category)
    wishes = list((await session.exec(stmt.limit(limit))).all())
    return await _views(session, [(w, False) for w in wishes], user)


async def queues(session: AsyncSession, *, user: User, limit: int = 50) -> dict[str, list[WishPublic]]:
    """The staff console: wishes to review, to verify, and done ones awaiting the poster, in the staff's subtrees."""
    staff = covered_by_role(user.id, Wish.org_id)
    out = {}
    for key, status in (("review", S.submitted), ("verify", S.confirmed), ("awaiting_confirm", S.done)):
        stmt = select(Wish).where(Wish.status == status, staff).order_by(Wish.id).limit(limit)
        wishes = list((await session.exec(stmt)).all())
        out[key] = await _views(session, [(w, True) for w in wishes], user)
    return out


# ---- the use cases ----


async def create_wish(session: AsyncSession, *, data: WishCreate, actor: User) -> WishPublic:
    """Post a wish (submitted, awaiting review); staff may post for a resident without a smartphone."""
    content.check_text(data.title, data.description, data.child_name, data.child_school)
    on_behalf = bool(data.on_behalf_of_phone)
    org_id = data.org_id or (None if on_behalf else actor.home_org_id)
    if org_id is None:
        raise ValidationFailed("请先在“我的”中选择所在小区，或指定心愿所属的小区", code="org_required")
    org = await session.get(Org, org_id)
    if org is None or org.kind not in (OrgKind.compound, OrgKind.community, OrgKind.grid):
        raise ValidationFailed("请选择心愿所在的社区、小区或网格", code="invalid_org")
    await wish_categories.require_category(session, org_id=org.id, category=data.category)
    poster = actor
    if on_behalf:
        if not await has_role_over(session, user_id=actor.id, org_id=org.id):
            raise Forbidden("只有该小区的工作人员可以代居民许愿")
        poster = await users_service.get_or_create_by_phone(session, phone=data.on_behalf_of_phone)
    if data.deadline is not None and data.deadline <= clock.now():
        raise ValidationFailed("截止时间应晚于现在", code="invalid_deadline")
    now = clock.now()
    wish = Wish(
        org_id=org.id,
        poster_id=poster.id,
        acted_by_id=actor.id if poster is not actor else None,
        title=data.title.strip(),
        description=data.description.strip(),
        category=data.category,
        deadline=data.deadline,
        child_name_enc=crypto.encrypt(data.child_name),
        child_school_enc=crypto.encrypt(data.child_school),
        created_at=now,
        updated_at=now,
    )
    session.add(wish)
    await session.flush()
    note = f"由{actor.name}代为提交" if poster is not actor else None
    session.add(
        WishEvent(
            wish_id=wish.id, at=now, actor_id=actor.id, action="submit", to_status=S.submitted, note=note
        )
    )
    if poster is not actor:
        await audit.record(
            session,
            actor_id=actor.id,
            action="wish.create_on_behalf",
            object_type="wish",
            object_id=wish.id,
            org_id=org.id,
            on_behalf_of_id=poster.id,
        )
        await notify_service.notify(
            session,
            user_id=poster.id,
            kind="wish_submitted",
            title="已为您提交心愿",
            body=f"{actor.name}为您提交了心愿“{wish.title}”，可在社区服务站查看进度",
            link=f"/wishes/{wish.id}",
            ref_type="wish",
            ref_id=wish.id,
        )
    await session.commit()
    return await view(session, wish=wish, viewer=actor)


async def review(session: AsyncSession, *, wish_id: int, data: ReviewIn, actor: User) -> WishPublic:
    """Staff approve (publish, optionally dispatching to a member unit) or reject with a reason."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if not staff:
        raise Forbidden("只有该小区、社区的工作人员可以审核心愿")
    link = f"/wishes/{wish.id}"
    if not data.approve:
        reason = (data.reason or "").strip()
        if not reason:
            raise ValidationFailed("请填写未通过的原因", code="reason_required")
        await MACHINE.apply_or_conflict(
            session,
            wish,
            "reject",
            actor_id=actor.id,
            note=reason,
            values={"reject_reason": reason, "reviewer_id": actor.id, "closed_at": clock.now()},
        )
        await notify_service.notify(
            session,
            user_id=wish.poster_id,
            kind="wish_rejected",
            title="心愿未通过审核",
            body=f"“{wish.title}”：{reason}",
            link=link,
            ref_type="wish",
            ref_id=wish.id,
        )
    else:
        values = {"reviewer_id": actor.id, "published_at": clock.now()}
        note = data.reason
        if data.assign_org_id is not None:
            unit = await session.get(Org, data.assign_org_id)
            place = await session.get(Org, wish.org_id)
            alliance_of = wish_categories.alliance_id_of
            if unit is None or unit.kind != OrgKind.unit or alliance_of(unit) != alliance_of(place):
                raise ValidationFailed("只能派单给本联盟的共建单位", code="invalid_assign_org")
            values["assigned_org_id"] = unit.id
            note = f"派单给{unit.name}" + (f"：{data.reason}" if data.reason else "")
        await MACHINE.apply_or_conflict(session, wish, "publish", actor_id=actor.id, note=note, values=values)
        if data.assign_org_id is not None:
            unit_people = (
                await session.exec(select(Role.user_id).where(Role.org_id == data.assign_org_id))
            ).all()
            for uid in unit_people:
                await notify_service.notify(
                    session,
                    user_id=uid,
                    kind="wish_dispatched",
                    title="社区派来一个心愿",
                    body=f"“{wish.title}”已派单给贵单位，请安排人员认领",
                    link=link,
                    ref_type="wish",
                    ref_id=wish.id,
                )
        await notify_service.notify(
            session,
            user_id=wish.poster_id,
            kind="wish_published",
            title="心愿已发布",
            body=f"“{wish.title}”已通过审核，发布到心愿墙",
            link=link,
            ref_type="wish",
            ref_id=wish.id,
        )
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.review",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        detail={"approve": data.approve, "assign_org_id": data.assign_org_id},
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def claim(session: AsyncSession, *, wish_id: int, data: ClaimIn, actor: User) -> WishPublic:
    """Claim a published wish; exactly one claimer wins, however many tap at once."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id == actor.id:
        raise Conflict("不能认领自己发布的心愿", code="cannot_claim_own_wish")
    if wish.status in CLAIMED_STATES:
        raise Conflict("这个心愿已经被认领了", code="wish_already_claimed")
    if not MACHINE.allowed("claim", wish.status):
        raise InvalidState("心愿尚未发布或已关闭，不能认领")
    if not await _may_claim_dispatched(session, user=actor, wish=wish):
        raise Forbidden("该心愿已派单给共建单位，仅该单位人员可以认领", code="wish_dispatched_to_unit")
    today = clock.today()
    promise = data.promise_date
    if promise is None:
        promise = today + timedelta(days=DEFAULT_PROMISE_DAYS)
        if wish.deadline is not None:
            promise = max(today, min(promise, wish.deadline.astimezone(CHINA).date()))
    elif promise < today:
        raise ValidationFailed("承诺完成日期不能早于今天", code="invalid_promise_date")
    elif wish.deadline is not None and promise > wish.deadline.astimezone(CHINA).date():
        raise ValidationFailed("承诺完成日期不能晚于心愿的截止日期", code="invalid_promise_date")
    now = clock.now()
    won = await MACHINE.apply(
        session,
        wish,
        "claim",
        actor_id=actor.id,
        note=f"承诺于{promise.isoformat()}前完成",
        values={"claimer_id": actor.id, "claimed_at": now, "promise_date": promise},
    )
    if not won:
        if wish.status in CLAIMED_STATES:
            raise Conflict("这个心愿刚刚被别人认领了", code="wish_already_claimed")
        raise InvalidState("心愿状态刚刚发生了变化，不能认领")
    row = WishClaim(wish_id=wish.id, user_id=actor.id, claimed_at=now, promise_date=promise)
    session.add(row)
    await session.flush()
    wish.claim_id = row.id
    session.add(wish)
    await notify_service.notify(
        session,
        user_id=wish.poster_id,
        kind="wish_claimed",
        title="您的心愿有人认领了",
        body=f"{actor.name}认领了“{wish.title}”，承诺于{promise.isoformat()}前完成",
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def _end_claim(session: AsyncSession, wish: Wish, outcome: str) -> None:
    if wish.claim_id is not None:
        await session.exec(
            update(WishClaim)
            .where(WishClaim.id == wish.claim_id, WishClaim.outcome.is_(None))
            .values(outcome=outcome, ended_at=clock.now())
        )


def _require_claimer(wish: Wish, actor: User, action: str) -> None:
    if wish.claimer_id is None or not MACHINE.allowed(action, wish.status):
        raise InvalidState("心愿当前状态不允许此操作")
    if wish.claimer_id != actor.id:
        raise Forbidden("只有认领人可以进行此操作", code="not_wish_claimer")


async def release(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """The claimer gives the wish back to the wall."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    _require_claimer(wish, actor, "release")
    await _end_claim(session, wish, "released")
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "release",
        actor_id=actor.id,
        where=(Wish.claimer_id == actor.id,),
        values={"claimer_id": None, "claim_id": None, "claimed_at": None, "promise_date": None},
    )
    await notify_service.notify(
        session,
        user_id=wish.poster_id,
        kind="wish_released",
        title="认领人放弃了认领",
        body=f"“{wish.title}”已回到心愿墙，等待其他志愿者认领",
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def mark_done(session: AsyncSession, *, wish_id: int, data: DoneIn, actor: User) -> WishPublic:
    """The claimer reports the help given (note, minutes spent)."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    _require_claimer(wish, actor, "done")
    content.check_text(data.note)
    await _end_claim(session, wish, "done")
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "done",
        actor_id=actor.id,
        note=data.note,
        where=(Wish.claimer_id == actor.id,),
        values={"done_at": clock.now(), "done_note": data.note, "minutes_spent": data.minutes_spent},
    )
    await notify_service.notify(
        session,
        user_id=wish.poster_id,
        kind="wish_done",
        title="您的心愿已完成，请确认",
        body=f"{actor.name}已完成“{wish.title}”，请确认并评价",
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def confirm(session: AsyncSession, *, wish_id: int, data: ConfirmIn, actor: User) -> WishPublic:
    """The poster confirms the help and rates it (1–5 stars)."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id != actor.id:
        raise Forbidden("只有许愿人可以确认", code="not_wish_poster")
    content.check_text(data.comment)
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "confirm",
        actor_id=actor.id,
        note=data.comment,
        values={"confirmed_at": clock.now(), "rating": data.rating, "comment": data.comment},
    )
    await notify_service.notify(
        session,
        user_id=wish.claimer_id,
        kind="wish_confirmed",
        title="许愿人确认了您的服务",
        body=f"“{wish.title}”获得{data.rating}星评价",
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def verify(session: AsyncSession, *, wish_id: int, data: VerifyIn, actor: User) -> WishPublic:
    """Staff verify the help (站点验收), crediting the claimer's time bank once."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if not staff:
        raise Forbidden("只有该小区、社区的工作人员可以验收")
    if actor.id == wish.claimer_id:  # nobody credits their own time bank
        raise Forbidden("不能验收自己完成的心愿，请由其他工作人员验收", code="cannot_verify_own_help")
    content.check_text(data.note)
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "verify",
        actor_id=actor.id,
        note=data.note,
        values={
            "verified_at": clock.now(),
            "verifier_id": actor.id,
            "credit_minutes": data.credit_minutes,
            "verify_note": data.note,
            "closed_at": clock.now(),
        },
    )
    from app.services import ledger as ledger_service  # the time-bank domain (imported late: no cycle)

    await ledger_service.credit_service(
        session,
        org_id=wish.org_id,
        user_id=wish.claimer_id,
        minutes=data.credit_minutes,
        ref_type="wish",
        ref_id=wish.id,
        memo=f"微心愿：{wish.title}",
        actor_id=actor.id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.verify",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        detail={"credit_minutes": data.credit_minutes},
    )
    await notify_service.notify(
        session,
        user_id=wish.claimer_id,
        kind="wish_verified",
        title="服务已验收",
        body=f"“{wish.title}”已验收，时间银行记入{data.credit_minutes}分钟",
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def cancel(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """The poster withdraws a wish nobody has claimed yet."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id != actor.id:
        raise Forbidden("只有许愿人可以撤回心愿", code="not_wish_poster")
    await MACHINE.apply_or_conflict(
        session, wish, "cancel", actor_id=actor.id, values={"closed_at": clock.now()}
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def add_photo(session: AsyncSession, *, wish_id: int, data: bytes, actor: User) -> WishPublic:
    """The poster adds a photo (JPG/PNG/WebP, at most 5 MB, three per wish) before it is claimed."""
    wish, staff = await _visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id != actor.id and not staff:
        raise Forbidden("只有许愿人可以上传照片", code="not_wish_poster")
    if wish.status not in (S.submitted, S.published):
        raise InvalidState("心愿已被认领或已关闭，不能再添加照片")
    if len(wish.photos) >= MAX_PHOTOS:
        raise Conflict(f"每个心愿最多{MAX_PHOTOS}张照片", code="too_many_photos")
    key = await get_storage().save(data, folder=f"wishes/{wish.id}")
    wish.photos = [*wish.photos, key]
    wish.updated_at = clock.now()
    session.add(wish)
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def get_photo(session: AsyncSession, *, wish_id: int, index: int, actor: User) -> tuple[bytes, str]:
    """A photo of a wish the actor may see: its bytes and media type."""
    wish, _ = await _visible(session, wish_id=wish_id, user=actor)
    if not 0 <= index < len(wish.photos):
        raise NotFound("照片不存在", code="photo_not_found")
    return await get_storage().load(wish.photos[index])


# ---- timers ----


async def run_timers(session: AsyncSession) -> int:
    """Overdue claims back to the wall, expiries, auto-confirmations and due-tomorrow reminders.

    Safe under several runners at once: each move is a conditional update, so a wish another
    runner already moved is simply skipped. Returns how many wishes moved (and reminders sent).
    """
    now = clock.now()
    today = clock.today()
    moved = 0

    overdue = (
        await session.exec(
            select(Wish).where(Wish.status == S.claimed, Wish.promise_date < today).order_by(Wish.id)
        )
    ).all()
    for wish in overdue:
        claimer_id, claim_id = wish.claimer_id, wish.claim_id
        if await MACHINE.apply(
            session,
            wish,
            "release_overdue",
            actor_id=None,
            note=f"承诺日期{wish.promise_date.isoformat()}已过，心愿回到心愿墙",
            where=(Wish.promise_date < today,),
            values={"claimer_id": None, "claim_id": None, "claimed_at": None, "promise_date": None},
        ):
            moved += 1
            if claim_id is not None:
                await session.exec(
                    update(WishClaim)
                    .where(WishClaim.id == claim_id, WishClaim.outcome.is_(None))
                    .values(outcome="overdue", ended_at=now)
                )
            for uid, title in ((claimer_id, "认领已逾期"), (wish.poster_id, "心愿已重新发布")):
                await notify_service.notify(
                    session,
                    user_id=uid,
                    kind="claim_overdue",
                    title=title,
                    body=f"“{wish.title}”未在承诺日期前完成，已回到心愿墙",
                    link=f"/wishes/{wish.id}",
                    ref_type="wish",
                    ref_id=wish.id,
                )

    expiring = (
        await session.exec(
            select(Wish)
            .where(
                Wish.status.in_((S.submitted, S.published)), Wish.deadline.is_not(None), Wish.deadline < now
            )
            .order_by(Wish.id)
        )
    ).all()
    for wish in expiring:
        if await MACHINE.apply(
            session,
            wish,
            "expire",
            actor_id=None,
            note="超过截止时间无人认领",
            where=(Wish.deadline < now,),
            values={"closed_at": now},
        ):
            moved += 1
            await notify_service.notify(
                session,
                user_id=wish.poster_id,
                kind="wish_expired",
                title="心愿已过期",
                body=f"“{wish.title}”已超过截止时间",
                link=f"/wishes/{wish.id}",
                ref_type="wish",
                ref_id=wish.id,
            )

    cutoff = now - CONFIRM_GRACE
    unconfirmed = (
        await session.exec(select(Wish).where(Wish.status == S.done, Wish.done_at < cutoff).order_by(Wish.id))
    ).all()
    for wish in unconfirmed:
        if await MACHINE.apply(
            session,
            wish,
            "auto_confirm",
            actor_id=None,
            note=f"许愿人{CONFIRM_GRACE.days}天内未确认，系统自动确认",
            where=(Wish.done_at < cutoff,),
            values={"confirmed_at": now},
        ):
            moved += 1

    due = (
        await session.exec(
            select(WishClaim, Wish)
            .join(Wish, Wish.claim_id == WishClaim.id)
            .where(
                Wish.status == S.claimed,
                WishClaim.promise_date == today + timedelta(days=1),
                WishClaim.reminded_at.is_(None),
            )
            .order_by(WishClaim.id)
        )
    ).all()
    for row, wish in due:
        result = await session.exec(
            update(WishClaim)
            .where(WishClaim.id == row.id, WishClaim.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        if result.rowcount == 1:
            moved += 1
            await notify_service.notify(
                session,
                user_id=row.user_id,
                kind="claim_due",
                title="认领的心愿明天到期",
                body=f"“{wish.title}”承诺明天完成，完成后请点“服务完成”",
                link=f"/wishes/{wish.id}",
                ref_type="wish",
                ref_id=wish.id,
            )
    await session.commit()
    return moved


# ---- what the pages show ----


async def detail_page(session: AsyncSession, *, wish_id: int, user: User) -> dict:
    """The wish page: the wish as the viewer may see it, who did each step, and units to dispatch to."""
    from app.services import resources as resources_service

    wish, staff = await _visible(session, wish_id=wish_id, user=user)
    public = await view(session, wish=wish, viewer=user, staff=staff)
    people = await _people(session, {e.actor_id for e in public.events})
    choices = []
    if "review" in public.actions:
        choices = await resources_service.dispatch_choices(
            session, org_id=wish.org_id, category=wish.category
        )
    return {
        "wish": public,
        "actor_names": {i: u.name for i, u in people.items()},
        "dispatch_choices": choices,
        "staff": staff,
        "today": clock.today(),
    }


async def mine_page(session: AsyncSession, *, user: User, limit: int = 50) -> dict:
    """My wishes, my claims and my latest messages."""
    params = PageParams(limit=limit)
    posted, _ = await list_wishes(session, actor=user, params=params, mine=True, side="posted")
    claimed, _ = await list_wishes(session, actor=user, params=params, mine=True, side="claimed")
    messages, _ = await notify_service.list_mine(
        session, user=user, unread=False, params=PageParams(limit=10)
    )
    return {"posted": posted, "claimed": claimed, "messages": messages}
