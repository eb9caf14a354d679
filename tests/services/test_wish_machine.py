"""The wish state machine: every illegal transition is 409 invalid_state; the timers move wishes on time."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock
from app.errors import Conflict, InvalidState
from app.models.notifications import Notification
from app.models.wishes import ClaimIn, ConfirmIn, DoneIn, ReviewIn, VerifyIn, Wish, WishClaim, WishEvent
from app.services import wish_machine, wish_timers
from app.services import wishes as svc
from tests.factories import make_tree, make_user

STATES = [
    "submitted",
    "published",
    "claimed",
    "done",
    "confirmed",
    "verified",
    "rejected",
    "cancelled",
    "expired",
]
# action → (who does it, the states it is allowed from)
ACTIONS = {
    "review": ("staff", {"submitted"}),
    "claim": ("other", {"published"}),
    "release": ("claimer", {"claimed"}),
    "done": ("claimer", {"claimed"}),
    "confirm": ("poster", {"done"}),
    "verify": ("staff", {"confirmed"}),
    "cancel": ("poster", {"submitted", "published"}),
}
CLAIMED = {"claimed", "done", "confirmed", "verified"}


async def _cast(session):
    tree = await make_tree(session)
    return {
        "tree": tree,
        "poster": await make_user(session, name="许愿人", home=tree.compound),
        "staff": await make_user(session, name="工作人员", role=(tree.community, "staff")),
        "claimer": await make_user(session, name="认领人", home=tree.compound),
        "other": await make_user(session, name="其他居民", home=tree.compound),
    }


async def _wish_in(session, cast, status: str) -> Wish:
    """A wish sitting in `status`, with a claimer wherever the state implies one."""
    wish = Wish(
        org_id=cast["tree"].compound.id,
        poster_id=cast["poster"].id,
        title="帮忙买药",
        category="助老",
        status=status,
    )
    if status in CLAIMED:
        wish.claimer_id = cast["claimer"].id
        wish.claimed_at = clock.now()
        wish.promise_date = clock.today() + timedelta(days=3)
    session.add(wish)
    await session.commit()
    return wish


async def _do(session, action: str, wish: Wish, actor):
    calls = {
        "review": lambda: svc.review(session, wish_id=wish.id, data=ReviewIn(approve=True), actor=actor),
        "claim": lambda: svc.claim(session, wish_id=wish.id, data=ClaimIn(), actor=actor),
        "release": lambda: svc.release(session, wish_id=wish.id, actor=actor),
        "done": lambda: svc.mark_done(
            session, wish_id=wish.id, data=DoneIn(note="完成", minutes_spent=30), actor=actor
        ),
        "confirm": lambda: svc.confirm(session, wish_id=wish.id, data=ConfirmIn(rating=5), actor=actor),
        "verify": lambda: svc.verify(session, wish_id=wish.id, data=VerifyIn(credit_minutes=30), actor=actor),
        "cancel": lambda: svc.cancel(session, wish_id=wish.id, actor=actor),
    }
    return await calls[action]()


ILLEGAL = [(state, action) for action, (_, ok) in ACTIONS.items() for state in STATES if state not in ok]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
async def test_illegal_transition_is_409_invalid_state(session, state, action):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, state)
    who = ACTIONS[action][0]
    # In the private states nobody but the poster and staff can even see the wish (404), so staff try.
    actor = (
        cast["staff"]
        if who in ("other", "claimer") and state not in wish_machine.PUBLIC_STATES
        else cast[who]
    )
    with pytest.raises(Conflict) as err:
        await _do(session, action, wish, actor)
    expected = "wish_already_claimed" if action == "claim" and state in CLAIMED else "invalid_state"
    assert err.value.status == 409
    assert err.value.code == expected
    await session.refresh(wish)
    assert wish.status == state


async def test_illegal_transitions_through_the_api_are_409(client, session):
    from tests.factories import auth

    cast = await _cast(session)
    wish = await _wish_in(session, cast, "done")
    resp = await client.post(f"/api/v1/wishes/{wish.id}/cancel", headers=auth(cast["poster"]))
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_state"
    assert resp.json()["title"] == "当前状态不允许此操作"


def test_transition_table_covers_every_state():
    sources = set().union(*(t.sources for t in wish_machine.MACHINE.transitions.values()))
    targets = {t.target for t in wish_machine.MACHINE.transitions.values()}
    assert sources | targets == set(STATES)
    assert {"verified", "rejected", "cancelled", "expired"}.isdisjoint(sources)


async def test_every_transition_writes_an_event(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "submitted")
    await svc.review(session, wish_id=wish.id, data=ReviewIn(approve=True), actor=cast["staff"])
    await svc.claim(session, wish_id=wish.id, data=ClaimIn(), actor=cast["claimer"])
    await svc.release(session, wish_id=wish.id, actor=cast["claimer"])
    await svc.cancel(session, wish_id=wish.id, actor=cast["poster"])
    rows = (
        await session.exec(select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.id))
    ).all()
    assert [(e.action, e.from_status, e.to_status) for e in rows] == [
        ("publish", "submitted", "published"),
        ("claim", "published", "claimed"),
        ("release", "claimed", "published"),
        ("cancel", "published", "cancelled"),
    ]


async def test_overdue_claim_goes_back_to_the_wall(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "published")
    promise = clock.today() + timedelta(days=2)
    await svc.claim(session, wish_id=wish.id, data=ClaimIn(promise_date=promise), actor=cast["claimer"])
    clock.travel(timedelta(days=2))
    assert await wish_timers.run_timers(session) == 0
    await session.refresh(wish)
    assert wish.status == "claimed"
    clock.travel(timedelta(days=1))
    assert await wish_timers.run_timers(session) == 1
    await session.refresh(wish)
    assert (wish.status, wish.claimer_id, wish.promise_date) == ("published", None, None)
    claim = (await session.exec(select(WishClaim).where(WishClaim.wish_id == wish.id))).one()
    assert claim.outcome == "overdue"
    event = (
        await session.exec(
            select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.id.desc())
        )
    ).first()
    assert (event.action, event.actor_id) == ("release_overdue", None)


async def test_claim_due_tomorrow_is_reminded_once(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "published")
    promise = clock.today() + timedelta(days=3)
    await svc.claim(session, wish_id=wish.id, data=ClaimIn(promise_date=promise), actor=cast["claimer"])
    assert await wish_timers.run_timers(session) == 0
    clock.travel(timedelta(days=2))
    assert await wish_timers.run_timers(session) == 1
    assert await wish_timers.run_timers(session) == 0
    kinds = (
        await session.exec(select(Notification.kind).where(Notification.user_id == cast["claimer"].id))
    ).all()
    assert kinds == ["claim_due"]


async def test_wish_past_deadline_expires(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "published")
    wish.deadline = clock.now() + timedelta(hours=5)
    session.add(wish)
    await session.commit()
    assert await wish_timers.run_timers(session) == 0
    clock.travel(timedelta(hours=6))
    assert await wish_timers.run_timers(session) == 1
    await session.refresh(wish)
    assert wish.status == "expired"


async def test_claimed_wish_does_not_expire(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "claimed")
    wish.deadline = clock.now() + timedelta(hours=1)
    session.add(wish)
    await session.commit()
    clock.travel(timedelta(hours=2))
    await wish_timers.run_timers(session)
    await session.refresh(wish)
    assert wish.status == "claimed"


async def test_done_auto_confirms_after_grace(session):
    cast = await _cast(session)
    wish = await _wish_in(session, cast, "claimed")
    await svc.mark_done(
        session, wish_id=wish.id, data=DoneIn(note="陪老人就医", minutes_spent=90), actor=cast["claimer"]
    )
    clock.travel(wish_timers.CONFIRM_GRACE - timedelta(minutes=1))
    assert await wish_timers.run_timers(session) == 0
    clock.travel(timedelta(minutes=2))
    assert await wish_timers.run_timers(session) == 1
    await session.refresh(wish)
    assert (wish.status, wish.rating) == ("confirmed", None)
    with pytest.raises(InvalidState):
        await svc.confirm(session, wish_id=wish.id, data=ConfirmIn(rating=4), actor=cast["poster"])
