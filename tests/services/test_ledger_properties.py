"""Random sequences of credits, transfers, grants, corrections and redemptions keep the ledger's invariants.

After every operation: each txn's entries sum to zero, every balance equals the sum of its entries,
no person is below zero, and the hash chain verifies. Refused operations (409s) change nothing.
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError
from app.models.timebank import GrantIn, LedgerAccount, RedeemIn, Reward, TransferIn
from app.services import ledger, timebank_rewards
from app.services import timebank as svc
from tests.factories import make_tree, make_user

PEOPLE = 4
_keys = itertools.count()

person = st.integers(min_value=0, max_value=PEOPLE - 1)
minutes = st.integers(min_value=1, max_value=300)
operations = st.one_of(
    st.tuples(st.just("credit"), person, minutes, st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("transfer"), person, person, minutes),
    st.tuples(st.just("grant"), person, st.integers(min_value=-300, max_value=300).filter(bool)),
    st.tuples(st.just("redeem"), person),
    st.tuples(
        st.just("reverse_last"),
    ),
)


async def _apply(session: AsyncSession, world: dict, op: tuple) -> None:
    people, tree, admin, reward = world["people"], world["tree"], world["admin"], world["reward"]
    kind = op[0]
    if kind == "credit":
        _, who, amount, ref = op
        await ledger.credit_service(
            session,
            org_id=tree.compound.id,
            user_id=people[who].id,
            minutes=amount,
            ref_type="wish",
            ref_id=ref,
            memo="服务",
            actor_id=None,
        )
        await session.commit()
    elif kind == "transfer":
        _, a, b, amount = op
        await svc.transfer(
            session,
            data=TransferIn(to_phone=people[b].phone, minutes=amount),
            idempotency_key=f"p{next(_keys)}",
            actor=people[a],
        )
    elif kind == "grant":
        _, who, amount = op
        await svc.grant(
            session,
            data=GrantIn(user_id=people[who].id, minutes=amount, reason="补录或更正"),
            idempotency_key=f"p{next(_keys)}",
            actor=admin,
        )
    elif kind == "redeem":
        await timebank_rewards.redeem(
            session,
            reward_id=reward.id,
            data=RedeemIn(),
            idempotency_key=f"p{next(_keys)}",
            actor=people[op[1]],
        )
    else:
        last = world["txns"][-1] if world["txns"] else None
        if last is not None:
            await ledger.reverse(session, txn_id=last, memo="冲正", actor_id=admin.id)
            await session.commit()


async def _rollback(session: AsyncSession, world: dict) -> None:
    """Undo a refused operation; rollback expires every loaded object, so load the world again."""
    await session.rollback()
    for obj in [*world["people"], world["admin"], world["reward"], world["tree"].compound]:
        await session.refresh(obj)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=12))
async def test_random_operations_keep_the_ledger_sound(db, ops):
    async with db.engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            tree = await make_tree(session)
            admin = await make_user(session, role=(tree.alliance, "admin"))
            people = [await make_user(session, home=tree.compound) for _ in range(PEOPLE)]
            reward = Reward(org_id=tree.compound.id, name="鸡蛋", price_minutes=45, stock=3)
            session.add(reward)
            await session.commit()
            world = {"people": people, "tree": tree, "admin": admin, "reward": reward, "txns": []}
            for op in ops:
                before = await ledger.verify(session)
                try:
                    await _apply(session, world, op)
                except AppError as refused:
                    assert refused.status == 409, refused
                    await _rollback(session, world)
                    after = await ledger.verify(session)
                    assert after.transactions == before.transactions
                except IntegrityError:  # reversing a txn twice: the unique reference refuses it
                    await _rollback(session, world)
                check = await ledger.verify(session)
                assert check.ok, check.problems
                assert check.entries_sum == 0
                world["txns"] = [
                    t
                    for t in (
                        await session.exec(
                            select(ledger.LedgerTxn.id).where(ledger.LedgerTxn.kind != "reversal")
                        )
                    ).all()
                ]
                balances = (
                    await session.exec(
                        select(LedgerAccount.balance_minutes).where(LedgerAccount.kind == "person")
                    )
                ).all()
                assert all(b >= 0 for b in balances)
            stock = (
                await session.exec(
                    select(Reward.stock)
                    .where(Reward.id == reward.id)
                    .execution_options(populate_existing=True)
                )
            ).one()
            assert stock >= 0
        finally:
            await session.close()
            await outer.rollback()
