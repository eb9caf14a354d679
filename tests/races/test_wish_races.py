"""Wishes under real concurrency: one claim wins, timers never move a wish twice, verify credits once."""

import asyncio
from datetime import timedelta

from sqlmodel import func, select

from app import clock
from app.models.org import Org
from app.models.wishes import Wish, WishEvent
from app.services import wish_timers
from tests.factories import auth, make_tree, make_user

CLAIMERS = 50


async def _published_wish(live, **fields) -> tuple[Wish, object, object]:
    async with live.db.session() as s:
        tree = await make_tree(s)
        poster = await make_user(s, name="许愿人", home=tree.compound)
        staff = await make_user(s, name="工作人员", role=(tree.compound, "staff"))
        wish = Wish(
            org_id=tree.compound.id,
            poster_id=poster.id,
            title="帮忙搬家具",
            category="生活服务",
            status="published",
            **fields,
        )
        s.add(wish)
        await s.commit()
        return wish, poster, staff


async def test_fifty_concurrent_claims_exactly_one_wins(live):
    wish, _, _ = await _published_wish(live)
    async with live.db.session() as s:
        home = await s.get(Org, wish.org_id)
        people = [await make_user(s, name=f"志愿者{i}", home=home) for i in range(CLAIMERS)]
    async with live.client() as c:
        responses = await asyncio.gather(
            *(c.post(f"/api/v1/wishes/{wish.id}/claim", headers=auth(p)) for p in people)
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (CLAIMERS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"wish_already_claimed"}
    winner = next(r.json() for r in responses if r.status_code == 200)
    async with live.db.session() as s:
        row = await s.get(Wish, wish.id)
        assert (row.status, row.claimer_id) == ("claimed", winner["claimer"]["id"])
        claims = (
            await s.exec(
                select(func.count())
                .select_from(WishEvent)
                .where(WishEvent.wish_id == wish.id, WishEvent.action == "claim")
            )
        ).one()
        assert claims == 1


async def test_two_timer_runners_never_move_a_wish_twice(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        poster = await make_user(s, home=tree.compound)
        claimer = await make_user(s, home=tree.compound)
        past = clock.today() - timedelta(days=1)
        for i in range(10):
            s.add(
                Wish(
                    org_id=tree.compound.id,
                    poster_id=poster.id,
                    title=f"逾期{i}",
                    category="其他",
                    status="claimed",
                    claimer_id=claimer.id,
                    claimed_at=clock.now(),
                    promise_date=past,
                )
            )
            s.add(
                Wish(
                    org_id=tree.compound.id,
                    poster_id=poster.id,
                    title=f"过期{i}",
                    category="其他",
                    status="published",
                    deadline=clock.now() - timedelta(hours=1),
                )
            )
            s.add(
                Wish(
                    org_id=tree.compound.id,
                    poster_id=poster.id,
                    title=f"待确认{i}",
                    category="其他",
                    status="done",
                    claimer_id=claimer.id,
                    done_at=clock.now() - timedelta(days=8),
                )
            )
        await s.commit()

    async def runner():
        async with live.db.session() as s:
            return await wish_timers.run_timers(s)

    moved = await asyncio.gather(runner(), runner())
    assert sum(moved) == 30
    async with live.db.session() as s:
        statuses = (
            await s.exec(select(Wish.status, func.count()).group_by(Wish.status).order_by(Wish.status))
        ).all()
        assert [tuple(r) for r in statuses] == [("confirmed", 10), ("expired", 10), ("published", 10)]
        per_wish = (await s.exec(select(WishEvent.wish_id, func.count()).group_by(WishEvent.wish_id))).all()
        assert len(per_wish) == 30
        assert {n for _, n in per_wish} == {1}


async def test_concurrent_verify_credits_once(live):
    from app.models.timebank import LedgerTxn

    async with live.db.session() as s:
        tree = await make_tree(s)
        poster = await make_user(s, home=tree.compound)
        claimer = await make_user(s, home=tree.compound)
        staff = [await make_user(s, name=f"工作人员{i}", role=(tree.compound, "staff")) for i in range(5)]
        wish = Wish(
            org_id=tree.compound.id,
            poster_id=poster.id,
            title="陪老人就医",
            category="助老",
            status="confirmed",
            claimer_id=claimer.id,
            minutes_spent=90,
            rating=5,
        )
        s.add(wish)
        await s.commit()
    async with live.client() as c:
        responses = await asyncio.gather(
            *(
                c.post(f"/api/v1/wishes/{wish.id}/verify", json={"credit_minutes": 90}, headers=auth(p))
                for p in staff
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
        balance = (await c.get("/api/v1/timebank/me", headers=auth(claimer))).json()
    assert balance["balance_minutes"] == 90
    async with live.db.session() as s:
        txns = (
            await s.exec(
                select(func.count())
                .select_from(LedgerTxn)
                .where(LedgerTxn.ref_type == "wish", LedgerTxn.ref_id == wish.id)
            )
        ).one()
        assert txns == 1


async def test_one_persons_concurrent_claims_never_pass_the_open_claims_limit(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        poster = await make_user(s, name="许愿人", home=tree.compound)
        wishes = [
            Wish(
                org_id=tree.compound.id,
                poster_id=poster.id,
                title=f"心愿{i}",
                category="生活服务",
                status="published",
            )
            for i in range(8)
        ]
        s.add_all(wishes)
        await s.commit()
        volunteer = await make_user(s, name="志愿者", home=tree.compound)
    async with live.client() as c:
        responses = await asyncio.gather(
            *(c.post(f"/api/v1/wishes/{w.id}/claim", headers=auth(volunteer)) for w in wishes)
        )
    assert sorted(r.status_code for r in responses) == [200] * 3 + [409] * 5
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"too_many_open_claims"}
    async with live.db.session() as s:
        held = (
            await s.exec(select(func.count()).select_from(Wish).where(Wish.claimer_id == volunteer.id))
        ).one()
    assert held == 3
