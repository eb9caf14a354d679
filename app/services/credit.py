"""The one crediting rule: how much time-bank service a wish, an activity or a duty shift earns.

Every domain that credits service asks this module, with its alliance's policy (`timebank_policies`):

- credit = the time attended (sign-in → sign-out) or reported (a wish's minutes spent), bounded by
  the thing's own length (the activity's window and its stated credit, the shift, the report),
  rounded half-up to the alliance's unit, and posted once (the ledger is idempotent by reference);
- a verifier may lower reported time, or raise it with a reason up to the alliance's margin
  (default 1.5× what was reported, before rounding); above that only the alliance's admin may,
  and the use case audits it;
- attendance below the minimum stay earns nothing; whoever never signed out earns until the
  activity's end when it closes, or the alliance's fixed default if it set one;
- activity kinds say what attendance is: service (志愿服务时长, toward stars) or study/meeting
  (attendance on the party-member record, no time-bank credit).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden, ValidationFailed
from app.models.timebank import TimebankPolicy
from app.services import ledger as ledger_service
from app.services import timebank_policy

# What an activity of each kind is (志愿汇 / 中国志愿服务网 count only service as 志愿服务时长).
SERVICE_KINDS = frozenset({"志愿服务", "政策宣讲"})
ACTIVITY_KIND_CLASS = {
    "志愿服务": "service",
    "政策宣讲": "service",
    "主题党日": "study",
    "党课": "study",
    "议事会": "meeting",
    "联席会议": "meeting",
    "民情研判会": "meeting",
    "文体活动": "other",
    "其他": "other",
}


def is_service_kind(kind: str) -> bool:
    """Whether attending an activity of this kind is volunteer service (credited, toward stars)."""
    return kind in SERVICE_KINDS


@dataclass(frozen=True)
class CreditPolicy:
    """An alliance's crediting knobs (the defaults are those of an alliance that set none)."""

    unit: int = 30
    raise_margin_percent: int = 150
    min_stay: int = 15
    no_signout: int | None = None
    activity_ceiling: int = 240

    @classmethod
    def of(cls, row: TimebankPolicy | None) -> "CreditPolicy":
        if row is None:
            return cls()
        return cls(
            unit=row.rounding_unit_minutes,
            raise_margin_percent=row.raise_margin_percent,
            min_stay=row.min_stay_minutes,
            no_signout=row.no_signout_minutes,
            activity_ceiling=row.activity_ceiling_minutes,
        )

    def rounded(self, minutes: int) -> int:
        """Half-up to the unit (30: 14 → 0, 15 → 30, 45 → 60); 0 = exact minutes."""
        if minutes <= 0:
            return 0
        if not self.unit:
            return minutes
        return (minutes + self.unit // 2) // self.unit * self.unit

    def served(self, minutes: int, *, bound: int) -> int:
        """Served time bounded by the thing's own length, then rounded: what the ledger gets."""
        return self.rounded(min(max(minutes, 0), max(bound, 0)))

    def margin(self, reported: int) -> int:
        """The most a verifier may credit for `reported` minutes without the alliance admin."""
        return reported * self.raise_margin_percent // 100

    def check_raise(self, *, reported: int, requested: int, reason: str | None, alliance_admin: bool) -> bool:
        """Refuse a verifier's figure the rule does not allow; True when it lies above the margin
        (allowed to the alliance's admin only, and the use case audits it)."""
        if requested <= reported:
            return False
        if not (reason or "").strip():
            raise ValidationFailed("记入时长超过志愿者填报的时长，请填写说明", code="credit_reason_required")
        above = requested > self.margin(reported)
        if above and not alliance_admin:
            raise Forbidden(
                f"记入时长超过填报时长的 {self.raise_margin_percent}%，须由联盟管理员验收",
                code="credit_above_margin",
            )
        return above

    def verified(self, *, reported: int, requested: int, reason: str | None, alliance_admin: bool) -> int:
        """A verifier's figure for reported time: lower freely, raise with a reason up to the margin."""
        self.check_raise(reported=reported, requested=requested, reason=reason, alliance_admin=alliance_admin)
        return self.rounded(requested)

    def stayed(
        self, signed_in_at: datetime, until: datetime, *, starts_at: datetime, ends_at: datetime
    ) -> int:
        """Whole minutes present within the activity's window."""
        start, end = max(signed_in_at, starts_at), min(until, ends_at)
        return max(0, int((end - start).total_seconds() // 60))

    def stay(
        self,
        *,
        signed_in_at: datetime,
        signed_out_at: datetime | None,
        starts_at: datetime,
        ends_at: datetime,
        closed_at: datetime | None = None,
    ) -> int:
        """An attendee's served minutes before bounding and rounding: the stay inside the window (to the
        end, or the close if earlier, for a no-sign-out, capped by the alliance's default if it set one);
        nothing under the minimum stay."""
        until = signed_out_at or min(closed_at or ends_at, ends_at)
        stay = self.stayed(signed_in_at, until, starts_at=starts_at, ends_at=ends_at)
        if stay < self.min_stay:
            return 0
        if signed_out_at is None and self.no_signout is not None:
            stay = min(stay, self.no_signout)
        return stay

    @staticmethod
    def activity_bound(*, starts_at: datetime, ends_at: datetime, stated: int) -> int:
        """An activity's own length: its window, and the credit it states."""
        return min(int((ends_at - starts_at).total_seconds() // 60), stated)

    def attended(
        self,
        *,
        signed_in_at: datetime,
        signed_out_at: datetime | None,
        starts_at: datetime,
        ends_at: datetime,
        stated: int,
    ) -> int:
        """An attendee's credit: the stay, bounded by the activity's length and its stated credit."""
        stay = self.stay(
            signed_in_at=signed_in_at, signed_out_at=signed_out_at, starts_at=starts_at, ends_at=ends_at
        )
        return self.served(
            stay, bound=self.activity_bound(starts_at=starts_at, ends_at=ends_at, stated=stated)
        )


async def policy_for(session: AsyncSession, *, org_id: int | None) -> CreditPolicy:
    """The crediting policy of the alliance over `org_id`."""
    return CreditPolicy.of(await timebank_policy.policy_for(session, org_id=org_id))


@dataclass(frozen=True)
class Claim:
    """One person's served minutes toward one reference, for `award_many`."""

    user_id: int
    served: int
    ref_type: str
    ref_id: int
    memo: str


async def _decide(
    session: AsyncSession,
    *,
    org_id: int,
    served: list[int],
    bound: int,
    policy: CreditPolicy | None,
    settle: Callable[[list[int]], Awaitable[list[bool]]] | None,
) -> list[int | None]:
    """The rule's decision, shared by `award` and `award_many`: each served time bounded by `bound` and
    rounded by the alliance's unit, then settled on the domain's rows; None where another settled first."""
    policy = policy or await policy_for(session, org_id=org_id)
    minutes = [policy.served(s, bound=bound) for s in served]
    won = await settle(minutes) if settle is not None else [True] * len(minutes)
    return [m if w else None for m, w in zip(minutes, won, strict=True)]


async def award(
    session: AsyncSession,
    *,
    org_id: int,
    user_id: int,
    served: int,
    bound: int,
    ref_type: str,
    ref_id: int,
    memo: str,
    actor_id: int | None,
    policy: CreditPolicy | None = None,
    settle: Callable[[int], Awaitable[bool]] | None = None,
) -> int | None:
    """The one crediting rule, the function every domain calls: `served` minutes (attended, on duty,
    reported or the verifier's figure) bounded by the thing's own length `bound`, rounded by the
    alliance's unit, and credited once.

    `settle(minutes)` records the decided minutes on the domain's own row with a conditional UPDATE
    and says whether this call won; a loser (someone settled it first) gets None and posts nothing.
    The ledger is idempotent by reference as well. Flushes only; the caller's use case commits.
    """

    async def settle_one(minutes: list[int]) -> list[bool]:
        return [await settle(minutes[0])] if settle is not None else [True]

    (minutes,) = await _decide(
        session, org_id=org_id, served=[served], bound=bound, policy=policy, settle=settle_one
    )
    if minutes is not None:
        await post(
            session,
            org_id=org_id,
            user_id=user_id,
            minutes=minutes,
            ref_type=ref_type,
            ref_id=ref_id,
            memo=memo,
            actor_id=actor_id,
        )
    return minutes


async def award_many(
    session: AsyncSession,
    *,
    org_id: int,
    claims: list[Claim],
    bound: int,
    actor_id: int | None,
    policy: CreditPolicy | None = None,
    settle: Callable[[list[int]], Awaitable[list[bool]]] | None = None,
) -> list[int | None]:
    """`award` for many people under one bound (an activity's attendees at its close), in a bounded
    number of statements: the same decision per claim, then one batch through the ledger
    (`ledger.credit_many`, idempotent by reference as `award`'s posting).

    `settle(minutes)` records every claim's decided minutes on the domain's rows at once (a conditional
    UPDATE) and says which claims it won; the others get None and post nothing. Flushes only.
    """
    decided = await _decide(
        session, org_id=org_id, served=[c.served for c in claims], bound=bound, policy=policy, settle=settle
    )
    await ledger_service.credit_many(
        session,
        org_id=org_id,
        credits=[
            ledger_service.Credit(c.user_id, minutes, c.ref_type, c.ref_id, c.memo)
            for c, minutes in zip(claims, decided, strict=True)
            if minutes  # None (settled by another) or 0 post nothing
        ],
        actor_id=actor_id,
    )
    return decided


async def post(
    session: AsyncSession,
    *,
    org_id: int,
    user_id: int,
    minutes: int,
    ref_type: str,
    ref_id: int,
    memo: str,
    actor_id: int | None,
) -> None:
    """Post decided minutes through the ledger's one posting function (once per reference)."""
    if minutes <= 0:
        return
    await ledger_service.credit_service(
        session,
        org_id=org_id,
        user_id=user_id,
        minutes=minutes,
        ref_type=ref_type,
        ref_id=ref_id,
        memo=memo,
        actor_id=actor_id,
    )
