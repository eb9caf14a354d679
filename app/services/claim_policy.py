"""Who may claim a wish, and how much: the claimer's alliance, their open claims, claims and releases a day.

One place for the claiming limits (issue 10, item 9): a person claims inside the alliance they belong
to (a person with no home says where they serve first), holds at most `max_open_claims` claims not yet
confirmed, claims at most `max_claims_per_day` a day, and after more than `max_releases_per_day`
releases in a day cannot claim again until tomorrow. The checks hold under concurrent taps: they run
under the claimer's own lock, taken before the wish row.
"""

from typing import cast

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import advisory_lock
from app.errors import Conflict
from app.models.claim_policy import ClaimPolicy, ClaimPolicyIn, ClaimPolicyPublic
from app.models.org import Org
from app.models.user import User
from app.models.wishes import Wish, WishClaim, WishStatus
from app.permissions import alliance_id, belonging_org_id
from app.services import alliance_settings
from app.services import orgs as orgs_service

OPEN_CLAIM_STATES = (WishStatus.claimed, WishStatus.done)


async def policy_of_alliance(session: AsyncSession, alliance: int) -> ClaimPolicy:
    """The alliance's limits (the defaults when it has set none)."""
    row = (await session.exec(select(ClaimPolicy).where(ClaimPolicy.alliance_id == alliance))).first()
    return row or ClaimPolicy(alliance_id=alliance)


async def check_may_claim(
    session: AsyncSession, *, actor: User, wish: Wish, dispatched_to_them: bool
) -> None:
    """Raise 409 with a stable code unless the actor may claim one more wish now (takes the actor's lock)."""
    wish_org = await orgs_service.get_org(session, org_id=wish.org_id)
    home_id = belonging_org_id(actor)
    home = await session.get(Org, home_id) if home_id is not None else None
    if home is None and not dispatched_to_them:
        raise Conflict("请先在“我的”中选择所在小区，再认领本社区的心愿", code="home_required")
    if (
        home is not None
        and wish_org is not None
        and alliance_id(home) != alliance_id(wish_org)
        and not dispatched_to_them
    ):
        raise Conflict("只能认领您所在联盟的心愿", code="wish_outside_alliance")
    await advisory_lock(session, f"claims:{actor.id}")
    limits, used = await _limits_and_use(session, alliance=alliance_id(wish_org), user_id=cast(int, actor.id))
    if used["released_today"] > limits["max_releases_per_day"]:
        raise Conflict("您今天放弃认领的次数过多，请明天再来认领", code="too_many_releases_today")
    if used["open"] >= limits["max_open_claims"]:
        raise Conflict(
            f"您已有 {used['open']} 个心愿正在帮忙，完成后再认领新的吧", code="too_many_open_claims"
        )
    if used["claimed_today"] >= limits["max_claims_per_day"]:
        raise Conflict(
            f"每人每天最多认领 {limits['max_claims_per_day']} 个心愿，请明天再来",
            code="too_many_claims_today",
        )


async def _limits_and_use(session: AsyncSession, *, alliance: int, user_id: int) -> tuple[dict, dict]:
    """The alliance's limits (its row, else the model's defaults) and the person's use, in one statement."""
    midnight = clock.china_midnight()

    def limit(name: str):
        column = getattr(ClaimPolicy, name)
        default = ClaimPolicy.model_fields[name].default
        return func.coalesce(
            select(column).where(ClaimPolicy.alliance_id == alliance).scalar_subquery(), default
        )

    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    names = list(ClaimPolicyIn.model_fields)
    used = {
        "released_today": count(
            WishClaim,
            WishClaim.user_id == user_id,
            WishClaim.outcome == "released",
            col(WishClaim.ended_at) >= midnight,
        ),
        "open": count(Wish, col(Wish.claimer_id) == user_id, col(Wish.status).in_(OPEN_CLAIM_STATES)),
        "claimed_today": count(WishClaim, WishClaim.user_id == user_id, WishClaim.claimed_at >= midnight),
    }
    row = (await session.exec(select(*(limit(n) for n in names), *used.values()))).one()
    return dict(zip(names, row[: len(names)], strict=True)), dict(zip(used, row[len(names) :], strict=True))


async def get_policy(session: AsyncSession, *, org_id: int) -> ClaimPolicyPublic:
    """The claiming limits of the alliance over `org_id`."""
    org = await orgs_service.get_org(session, org_id=org_id)
    policy = await policy_of_alliance(session, alliance_id(org))
    return ClaimPolicyPublic(
        alliance_id=alliance_id(org), **{k: getattr(policy, k) for k in ClaimPolicyIn.model_fields}
    )


async def set_policy(
    session: AsyncSession, *, alliance: int, data: ClaimPolicyIn, actor: User
) -> ClaimPolicyPublic:
    """An alliance admin sets the alliance's claiming limits (audit-logged)."""
    values = data.model_dump()
    await alliance_settings.save(
        session,
        model=ClaimPolicy,
        alliance_id=alliance,
        values=values,
        actor=actor,
        action="wishes.claim_policy",
    )
    return ClaimPolicyPublic(alliance_id=alliance, **values)
