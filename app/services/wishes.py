"""Micro-wishes, the use cases: post, review, claim, release, done, confirm, verify, cancel, photos.

群众点单 (post) → 社区下单 (review / dispatch) → 联盟接单 (claim) → 志愿者服务 (done) → 确认评价
(confirm) → 站点验收 (verify, credits the claimer's time bank once). Every change of status goes through
`wish_machine.MACHINE`; what a viewer sees is `wish_views`; the timed jobs are `wish_timers`.
"""

from datetime import date, timedelta
from typing import cast

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from app.hours import hours_text
from app.models.org import Org, OrgKind
from app.models.user import User
from app.models.wishes import (
    ClaimIn,
    ConfirmIn,
    DoneIn,
    ReviewIn,
    VerifyIn,
    Wish,
    WishClaim,
    WishCreate,
    WishEvent,
    WishPublic,
)
from app.permissions import ADMIN_ONLY, alliance_id, has_role_over, role_holders
from app.services import audit, claim_policy, content, crypto, wish_acting, wish_categories
from app.services import credit as credit_rule
from app.services import orgs as orgs_service
from app.services import teams as teams_service
from app.services import users as users_service
from app.services.storage import get_storage
from app.services.wish_machine import CLAIMED_STATES, MACHINE, S, tell
from app.services.wish_views import dispatch_refusal, view, visible

# A claim without a promised date promises this many days.
DEFAULT_PROMISE_DAYS = 7
MAX_PHOTOS = 3


# ---- the use cases ----


async def create_wish(
    session: AsyncSession,
    *,
    data: WishCreate,
    actor: User,
    asked_of: User | None = None,
    team_id: int | None = None,
) -> WishPublic:
    """Post a wish (submitted, awaiting review); staff may post for a resident without a smartphone.

    A wish from a member's card (扫码为你服务) is `asked_of` that member, or of their team (`team_id`)."""
    content.check_text(data.title, data.description, data.child_name, data.child_school)
    on_behalf = bool(data.on_behalf_of_phone)
    org_id = data.org_id or (None if on_behalf else actor.home_org_id)
    if org_id is None:
        raise ValidationFailed("请先在“我的”中选择所在小区，或指定心愿所属的小区", code="org_required")
    org = await session.get(Org, org_id)
    if org is None or org.kind not in (OrgKind.compound, OrgKind.community, OrgKind.grid):
        raise ValidationFailed("请选择心愿所在的社区、小区或网格", code="invalid_org")
    await wish_categories.require_category(session, org_id=cast(int, org.id), category=data.category)
    poster = actor
    if on_behalf:
        if not await has_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id)):
            raise Forbidden("只有该小区的工作人员可以代居民许愿")
        poster = await users_service.get_or_create_by_phone(
            session, phone=cast(str, data.on_behalf_of_phone), registered_at=org.id
        )
    if data.deadline is not None and data.deadline <= clock.now():
        raise ValidationFailed("截止时间应晚于现在", code="invalid_deadline")
    now = clock.now()
    wish = Wish(
        org_id=cast(int, org.id),
        poster_id=cast(int, poster.id),
        acted_by_id=actor.id if poster is not actor else None,
        title=data.title.strip(),
        description=data.description.strip(),
        category=data.category,
        deadline=data.deadline,
        child_name_enc=crypto.encrypt(data.child_name),
        child_school_enc=crypto.encrypt(data.child_school),
        assigned_user_id=asked_of.id if asked_of else None,
        assigned_team_id=team_id,
        created_at=now,
        updated_at=now,
    )
    session.add(wish)
    await session.flush()
    note = f"由{actor.name}代为提交" if poster is not actor else None
    if asked_of is not None:
        note = f"扫码请{asked_of.name}帮忙"
    session.add(
        WishEvent(
            wish_id=cast(int, wish.id),
            at=now,
            actor_id=actor.id,
            action="submit",
            to_status=S.submitted,
            note=note,
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
        await tell(
            session,
            wish,
            user_id=cast(int, poster.id),
            kind="wish_submitted",
            title="已为您提交心愿",
            body=f"{actor.name}为您提交了心愿“{wish.title}”，可在社区服务站查看进度",
        )
    await session.commit()
    return await view(session, wish=wish, viewer=actor)


async def review(session: AsyncSession, *, wish_id: int, data: ReviewIn, actor: User) -> WishPublic:
    """Staff approve (publish, optionally dispatching to a member unit) or reject with a reason."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    if not staff:
        raise Forbidden("只有该小区、社区的工作人员可以审核心愿")
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
        await tell(
            session,
            wish,
            user_id=wish.poster_id,
            kind="wish_rejected",
            title="心愿未通过审核",
            body=f"“{wish.title}”：{reason}",
        )
    else:
        values = {"reviewer_id": actor.id, "published_at": clock.now()}
        note = data.reason
        if data.assign_org_id is not None:
            unit = await session.get(Org, data.assign_org_id)
            place = await orgs_service.get_org(session, org_id=wish.org_id)
            if unit is None or unit.kind != OrgKind.unit or alliance_id(unit) != alliance_id(place):
                raise ValidationFailed("只能派单给本联盟的共建单位", code="invalid_assign_org")
            values["assigned_org_id"] = unit.id
            note = f"派单给{unit.name}" + (f"：{data.reason}" if data.reason else "")
        team = None
        if data.assign_team_id is not None:
            team = await teams_service.dispatch_target(
                session,
                team_id=data.assign_team_id,
                place=await orgs_service.get_org(session, org_id=wish.org_id),
            )
            values["assigned_team_id"] = team.id
            note = f"派单给{team.name}" + (f"：{data.reason}" if data.reason else "")
        await MACHINE.apply_or_conflict(session, wish, "publish", actor_id=actor.id, note=note, values=values)
        await wish_acting.tell_dispatched(session, wish, team=team)
        if data.assign_org_id is not None:
            for uid in await role_holders(session, org_id=data.assign_org_id):
                await tell(
                    session,
                    wish,
                    user_id=uid,
                    kind="wish_dispatched",
                    title="社区派来一个心愿",
                    body=f"“{wish.title}”已派单给贵单位，请安排人员认领",
                )
        await tell(
            session,
            wish,
            user_id=wish.poster_id,
            kind="wish_published",
            title="心愿已发布",
            body=f"“{wish.title}”已通过审核，发布到心愿墙",
        )
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.review",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        detail={
            "approve": data.approve,
            "assign_org_id": data.assign_org_id,
            "assign_team_id": data.assign_team_id,
        },
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def claim(session: AsyncSession, *, wish_id: int, data: ClaimIn, actor: User) -> WishPublic:
    """Claim a published wish; exactly one claimer wins, however many tap at once."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id == actor.id:
        raise Conflict("不能认领自己发布的心愿", code="cannot_claim_own_wish")
    if wish.status in CLAIMED_STATES:
        raise Conflict("这个心愿已经被认领了", code="wish_already_claimed")
    if not MACHINE.allowed("claim", wish.status):
        raise InvalidState("心愿尚未发布或已关闭，不能认领")
    if refusal := await dispatch_refusal(session, user=actor, wish=wish):
        raise refusal
    dispatched = any(
        x is not None for x in (wish.assigned_org_id, wish.assigned_team_id, wish.assigned_user_id)
    )
    await claim_policy.check_may_claim(session, actor=actor, wish=wish, dispatched_to_them=dispatched)
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
    won = await take(session, wish, claimer_id=cast(int, actor.id), promise=promise)
    if not won:
        if wish.status in CLAIMED_STATES:
            raise Conflict("这个心愿刚刚被别人认领了", code="wish_already_claimed")
        raise InvalidState("心愿状态刚刚发生了变化，不能认领")
    await tell(
        session,
        wish,
        user_id=wish.poster_id,
        kind="wish_claimed",
        title="您的心愿有人认领了",
        body=f"{actor.name}认领了“{wish.title}”，承诺于{promise.isoformat()}前完成",
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def take(session: AsyncSession, wish: Wish, *, claimer_id: int, promise: date) -> bool:
    """Claim the published wish for `claimer_id` at the clock's now, once (conditional UPDATE): the claim
    row, and the audit of the contact it reveals. False if the wish moved first. Flushes only; `claim`
    checks who may claim, tells the poster and commits (the demo calls this at past times)."""
    now = clock.now()
    won = await MACHINE.apply(
        session,
        wish,
        "claim",
        actor_id=claimer_id,
        note=f"承诺于{promise.isoformat()}前完成",
        values={"claimer_id": claimer_id, "claimed_at": now, "promise_date": promise},
    )
    if not won:
        return False
    row = WishClaim(wish_id=cast(int, wish.id), user_id=claimer_id, claimed_at=now, promise_date=promise)
    session.add(row)
    await session.flush()
    wish.claim_id = row.id
    session.add(wish)
    await _record_reveal(session, wish, claimer_id=claimer_id)
    return True


async def _record_reveal(session: AsyncSession, wish: Wish, *, claimer_id: int) -> None:
    """A live claim shows the claimer the poster's phone (and a child's details): write who saw what."""
    revealed = ["poster_phone"] + (["child_name", "child_school"] if wish.child_name_enc else [])
    await audit.record(
        session,
        actor_id=claimer_id,
        action="wish.reveal_contact",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        on_behalf_of_id=wish.poster_id,
        detail={"fields": revealed, "claim_id": wish.claim_id},
    )


async def _end_claim(session: AsyncSession, wish: Wish, outcome: str) -> None:
    if wish.claim_id is not None:
        await session.exec(
            update(WishClaim)
            .where(col(WishClaim.id) == wish.claim_id, col(WishClaim.outcome).is_(None))
            .values(outcome=outcome, ended_at=clock.now())
        )


def _require_claimer(wish: Wish, actor: User, action: str) -> None:
    if wish.claimer_id is None or not MACHINE.allowed(action, wish.status):
        raise InvalidState("心愿当前状态不允许此操作")
    if wish.claimer_id != actor.id:
        raise Forbidden("只有认领人可以进行此操作", code="not_wish_claimer")


async def release(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """The claimer gives the wish back to the wall."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
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
    await tell(
        session,
        wish,
        user_id=wish.poster_id,
        kind="wish_released",
        title="认领人放弃了认领",
        body=f"“{wish.title}”已回到心愿墙，等待其他志愿者认领",
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def mark_done(session: AsyncSession, *, wish_id: int, data: DoneIn, actor: User) -> WishPublic:
    """The claimer reports the help given (note, minutes spent)."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    _require_claimer(wish, actor, "done")
    content.check_text(data.note)
    await finish(session, wish, claimer_id=cast(int, actor.id), note=data.note, minutes=data.minutes_spent)
    await tell(
        session,
        wish,
        user_id=wish.poster_id,
        kind="wish_done",
        title="您的心愿已完成，请确认",
        body=f"{actor.name}已完成“{wish.title}”，请确认并评价",
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def finish(
    session: AsyncSession, wish: Wish, *, claimer_id: int, note: str | None, minutes: int
) -> None:
    """The claimer's help reported done at the clock's now: the claim ends as done, the wish moves to
    done (409 if it moved first). Flushes only; `mark_done` checks, tells the poster and commits."""
    await _end_claim(session, wish, "done")
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "done",
        actor_id=claimer_id,
        note=note,
        where=(Wish.claimer_id == claimer_id,),
        values={"done_at": clock.now(), "done_note": note, "minutes_spent": minutes},
    )


async def confirm(session: AsyncSession, *, wish_id: int, data: ConfirmIn, actor: User) -> WishPublic:
    """The poster confirms the help and rates it (1–5 stars); staff who posted it for a resident may
    confirm for them (`on_behalf`), with the rating the resident gave."""
    if data.on_behalf:
        return await wish_acting.confirm_on_behalf(session, wish_id=wish_id, data=data, actor=actor)
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
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
    await tell(
        session,
        wish,
        user_id=cast(int, wish.claimer_id),
        kind="wish_confirmed",
        title="许愿人确认了您的服务",
        body=f"“{wish.title}”获得{data.rating}星评价",
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def verify(session: AsyncSession, *, wish_id: int, data: VerifyIn, actor: User) -> WishPublic:
    """Staff verify the help (站点验收), crediting the claimer's time bank once."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    if not staff:
        raise Forbidden("只有该小区、社区的工作人员可以验收")
    if actor.id == wish.claimer_id:  # nobody credits their own time bank
        raise Forbidden("不能验收自己完成的心愿，请由其他工作人员验收", code="cannot_verify_own_help")
    content.check_text(data.note)
    if wish.status != S.confirmed:  # a second verify is a state conflict, whatever its figure
        raise InvalidState("心愿当前状态不能验收")
    reported = wish.minutes_spent or 0
    policy = await credit_rule.policy_for(session, org_id=wish.org_id)
    org = await orgs_service.get_org(session, org_id=wish.org_id)
    above_margin = policy.check_raise(
        reported=reported,
        requested=data.credit_minutes,
        reason=data.note,
        alliance_admin=data.credit_minutes > policy.margin(reported)
        and await has_role_over(
            session, user_id=cast(int, actor.id), org_id=alliance_id(org), roles=ADMIN_ONLY
        ),
    )
    credited = await credit_verified(
        session,
        wish,
        verifier_id=cast(int, actor.id),
        minutes=data.credit_minutes,
        note=data.note,
        policy=policy,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.verify",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        detail={
            "reported_minutes": reported,
            "requested_minutes": data.credit_minutes,
            "credit_minutes": credited,
            "above_margin": above_margin,
        },
    )
    await tell(
        session,
        wish,
        user_id=cast(int, wish.claimer_id),
        kind="wish_verified",
        title="服务已验收",
        body=f"“{wish.title}”已验收，时间银行记入{hours_text(credited)}",
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def credit_verified(
    session: AsyncSession,
    wish: Wish,
    *,
    verifier_id: int,
    minutes: int,
    note: str | None,
    policy: credit_rule.CreditPolicy | None = None,
) -> int | None:
    """Verify the confirmed wish at the clock's now and credit its claimer the verifier's `minutes` once,
    by the crediting rule (409 if it moved first). Returns the minutes credited. Flushes only; `verify`
    checks the verifier and the figure, audits, tells the claimer and commits."""

    async def settle(credited: int) -> bool:
        now = clock.now()
        await MACHINE.apply_or_conflict(
            session,
            wish,
            "verify",
            actor_id=verifier_id,
            note=note,
            values={
                "verified_at": now,
                "verifier_id": verifier_id,
                "credit_minutes": credited,
                "verify_note": note,
                "closed_at": now,
            },
        )
        return True

    return await credit_rule.award(
        session,
        org_id=wish.org_id,
        user_id=cast(int, wish.claimer_id),
        served=minutes,
        bound=minutes,  # the use case bounded the verifier's figure
        ref_type="wish",
        ref_id=cast(int, wish.id),
        memo=f"微心愿：{wish.title}",
        actor_id=verifier_id,
        policy=policy,
        settle=settle,
    )


async def cancel(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """The poster withdraws a wish nobody has claimed yet."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    if wish.poster_id != actor.id:
        raise Forbidden("只有许愿人可以撤回心愿", code="not_wish_poster")
    await MACHINE.apply_or_conflict(
        session, wish, "cancel", actor_id=actor.id, values={"closed_at": clock.now()}
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def add_photo(session: AsyncSession, *, wish_id: int, data: bytes, actor: User) -> WishPublic:
    """The poster adds a photo (JPG/PNG/WebP, at most 5 MB, three per wish) before it is claimed."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
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
    wish, _ = await visible(session, wish_id=wish_id, user=actor)
    if not 0 <= index < len(wish.photos):
        raise NotFound("照片不存在", code="photo_not_found")
    return await get_storage().load(wish.photos[index])
