"""The time bank under real concurrency: no overdraft, no oversell, no double posting."""

import asyncio

from sqlmodel import func, select

from app.models.timebank import LedgerTxn, Reward
from app.services import ledger
from tests.factories import auth, make_tree, make_user

API = "/api/v1/timebank"


async def _funded(live, *, minutes: int, recipients: int):
    async with live.db.session() as s:
        tree = await make_tree(s)
        giver = await make_user(s, name="老李", home=tree.compound)
        others = [await make_user(s, name=f"家人{i}", home=tree.compound) for i in range(recipients)]
        await ledger.credit_service(
            s,
            org_id=tree.compound.id,
            user_id=giver.id,
            minutes=minutes,
            ref_type="wish",
            ref_id=1,
            memo="服务",
            actor_id=None,
        )
        await s.commit()
        return tree, giver, others


async def _balance(live, user_id: int) -> int:
    async with live.db.session(write=False) as s:
        account = await ledger.find_person_account(s, user_id=user_id)
        return account.balance_minutes if account else 0


async def _verified(live) -> ledger.LedgerCheck:
    async with live.db.session(write=False) as s:
        return await ledger.verify(s)


async def test_fifty_parallel_transfers_never_overdraw(live):
    _, giver, family = await _funded(live, minutes=1000, recipients=50)
    async with live.client() as c:
        responses = await asyncio.gather(
            *(
                c.post(
                    f"{API}/transfers",
                    json={"to_phone": p.phone, "minutes": 30},
                    headers={**auth(giver), "Idempotency-Key": f"k{i}"},
                )
                for i, p in enumerate(family)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 33 + [409] * 17
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_balance"}
    assert await _balance(live, giver.id) == 1000 - 33 * 30
    received = [await _balance(live, p.id) for p in family]
    assert sum(received) == 33 * 30
    assert sorted(set(received)) == [0, 30]
    check = await _verified(live)
    assert (check.ok, check.transactions, check.entries_sum) == (True, 34, 0)


async def test_parallel_redemptions_never_oversell(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        master = await make_user(s, home=tree.compound, role=(tree.compound, "staff"))
        people = [await make_user(s, name=f"居民{i}", home=tree.compound) for i in range(20)]
        for i, p in enumerate(people):
            await ledger.credit_service(
                s,
                org_id=tree.compound.id,
                user_id=p.id,
                minutes=100,
                ref_type="wish",
                ref_id=i,
                memo="服务",
                actor_id=None,
            )
        reward = Reward(
            org_id=tree.compound.id, name="食用油", price_minutes=60, stock=5, created_by=master.id
        )
        s.add(reward)
        await s.commit()
    async with live.client() as c:
        responses = await asyncio.gather(
            *(
                c.post(f"{API}/rewards/{reward.id}/redeem", headers={**auth(p), "Idempotency-Key": "buy"})
                for p in people
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 5 + [409] * 15
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"reward_out_of_stock"}
    async with live.db.session(write=False) as s:
        assert (await s.get(Reward, reward.id)).stock == 0
    balances = sorted([await _balance(live, p.id) for p in people])
    assert balances == [40] * 5 + [100] * 15
    assert (await _verified(live)).ok is True


async def test_concurrent_replays_of_one_key_post_once(live):
    _, giver, family = await _funded(live, minutes=500, recipients=1)
    body = {"to_phone": family[0].phone, "minutes": 25}
    async with live.client() as c:
        responses = await asyncio.gather(
            *(
                c.post(f"{API}/transfers", json=body, headers={**auth(giver), "Idempotency-Key": "tap"})
                for _ in range(12)
            )
        )
    assert [r.status_code for r in responses] == [201] * 12
    assert len({r.json()["txn_id"] for r in responses}) == 1
    assert await _balance(live, giver.id) == 475
    assert await _balance(live, family[0].id) == 25


async def test_concurrent_same_key_other_bodies_one_wins(live):
    _, giver, family = await _funded(live, minutes=500, recipients=1)
    async with live.client() as c:
        responses = await asyncio.gather(
            *(
                c.post(
                    f"{API}/transfers",
                    json={"to_phone": family[0].phone, "minutes": m},
                    headers={**auth(giver), "Idempotency-Key": "one"},
                )
                for m in range(1, 9)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"idempotency_key_reused"}
    moved = next(r.json()["minutes"] for r in responses if r.status_code == 201)
    assert await _balance(live, giver.id) == 500 - moved


async def test_concurrent_credit_for_one_ref_credits_once(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        volunteer = await make_user(s, home=tree.compound)

    async def close_activity():
        async with live.db.session() as s:
            txn = await ledger.credit_service(
                s,
                org_id=tree.compound.id,
                user_id=volunteer.id,
                minutes=120,
                ref_type="activity",
                ref_id=42,
                memo="主题党日",
                actor_id=None,
            )
            await s.commit()
            return txn.id

    ids = await asyncio.gather(*(close_activity() for _ in range(10)))
    assert len(set(ids)) == 1
    assert await _balance(live, volunteer.id) == 120
    async with live.db.session(write=False) as s:
        assert (await s.exec(select(func.count()).select_from(LedgerTxn))).one() == 1


async def test_audit_during_postings_never_reports_a_false_break(live):
    _, giver, family = await _funded(live, minutes=1000, recipients=20)

    async def audit_once():
        async with live.db.session(write=False) as s:
            return await ledger.verify(s)

    async with live.client() as c:
        results = await asyncio.gather(
            *(
                c.post(
                    f"{API}/transfers",
                    json={"to_phone": p.phone, "minutes": 5},
                    headers={**auth(giver), "Idempotency-Key": f"a{i}"},
                )
                for i, p in enumerate(family)
            ),
            *(audit_once() for _ in range(5)),
        )
    assert [r.status_code for r in results[:20]] == [201] * 20
    assert [check.ok for check in results[20:]] == [True] * 5
    assert (await _verified(live)).transactions == 21


async def _people_with_minutes(live, count: int, minutes: int):
    async with live.db.session() as s:
        tree = await make_tree(s)
        people = [await make_user(s, name=f"居民{i}", home=tree.compound) for i in range(count)]
        for i, p in enumerate(people):
            await ledger.credit_service(
                s,
                org_id=tree.compound.id,
                user_id=p.id,
                minutes=minutes,
                ref_type="wish",
                ref_id=i,
                memo="服务",
                actor_id=None,
            )
        await s.commit()
        return people


async def _give(session, giver, taker, minutes: int):
    source = await ledger.person_account(session, user_id=giver.id)
    target = await ledger.person_account(session, user_id=taker.id)
    return await ledger.post(
        session, kind="transfer", legs=[(source, -minutes), (target, minutes)], memo="转赠", actor_id=giver.id
    )


async def test_postings_on_other_accounts_do_not_wait_for_an_open_one(live):
    """No global lock (issue 12): while one posting holds its two accounts, a posting between two other
    people commits at once; one that touches a held account waits for it."""
    if live.db.engine.dialect.name != "postgresql":
        return  # SQLite has one writer by design; there is nothing to run side by side
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    a, b, c, d = await _people_with_minutes(live, 4, 100)
    async with live.db.session() as held:
        await _give(held, a, b, 10)  # locked, not committed
        async with live.db.session() as other:
            await other.exec(text("SET LOCAL lock_timeout = '3s'"))
            await _give(other, c, d, 10)
            await other.commit()  # did not wait for `held`
        async with live.db.session() as blocked:
            await blocked.exec(text("SET LOCAL lock_timeout = '300ms'"))
            try:
                await _give(blocked, b, c, 5)
                raise AssertionError("a posting on a held account went through")
            except DBAPIError as waited:
                assert "lock timeout" in str(waited.orig).lower() or "lock" in str(waited).lower()
        await held.commit()
    assert [await _balance(live, p.id) for p in (a, b, c, d)] == [90, 110, 90, 110]
    assert (await _verified(live)).ok


async def test_transfers_both_ways_between_the_same_people_never_deadlock(live):
    """A→B and B→A at once lock the same two accounts in one order (and each sender's day lock first)."""
    a, b = await _people_with_minutes(live, 2, 1000)
    async with live.client() as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{API}/transfers",
                    json={"to_phone": (b if i % 2 == 0 else a).phone, "minutes": 10},
                    headers={**auth(a if i % 2 == 0 else b), "Idempotency-Key": f"both-{i}"},
                )
                for i in range(30)
            )
        )
    assert [r.status_code for r in responses] == [201] * 30, [
        r.text for r in responses if r.status_code != 201
    ]
    assert (await _balance(live, a.id), await _balance(live, b.id)) == (1000, 1000)
    check = await _verified(live)
    assert (check.ok, check.transactions) == (True, 32)
