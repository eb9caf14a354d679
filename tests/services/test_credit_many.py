"""`ledger.credit_many` (issue 12, item 3): a batch of service credits gives exactly what crediting each
person one by one through `credit_service` gives — balances, earned minutes, each account's chain of
versions and balances — the books verify, and a replay posts nothing."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.timebank import AccountKind, LedgerAccount, LedgerEntry, LedgerTxn
from app.services import ledger
from tests.factories import make_tree, make_user


async def _chain(session: AsyncSession, account_id: int) -> list[tuple[int, int, int]]:
    """An account's chain as (amount, balance after, version after), in id order."""
    rows = await session.exec(
        select(LedgerEntry.amount_minutes, LedgerEntry.balance_after_minutes, LedgerEntry.account_version)
        .where(LedgerEntry.account_id == account_id)
        .order_by(col(LedgerEntry.id))
    )
    return [tuple(r) for r in rows.all()]


async def _state(session: AsyncSession, org_id: int, users: list) -> list:
    """The issuing account and each person's account, as (balance, earned, spent, version, chain)."""
    session.expunge_all()
    issuer = await ledger.issuing_account(session, org_id=org_id)
    accounts = [issuer] + [await ledger.find_person_account(session, user_id=u.id) for u in users]
    return [
        (a.balance_minutes, a.earned_minutes, a.spent_minutes, a.version, await _chain(session, a.id))
        if a is not None
        else None  # 0 minutes make no account, as credit_service
        for a in accounts
    ]


async def _world(session: AsyncSession, org_id: int, n: int, earlier) -> list:
    """n people, the first two with history (a credit, so an account and a chain already)."""
    people = [await make_user(session, name=f"居民{i}") for i in range(n)]
    for p in people[:2]:
        await earlier(p)
    await session.commit()
    return people


AMOUNTS = [30, 60, 90, 0, 120, 45, 30]  # one 0: posts nothing, as credit_service


async def test_credit_many_equals_one_by_one(session):
    tree = await make_tree(session)
    one_org, batch_org = tree.community.id, tree.other_community.id

    def earlier(org_id):
        async def credit(person):
            await ledger.credit_service(
                session,
                org_id=org_id,
                user_id=person.id,
                minutes=15,
                ref_type="t",
                ref_id=0,
                memo="",
                actor_id=None,
            )

        return credit

    singles = await _world(session, one_org, len(AMOUNTS), earlier(one_org))
    batched = await _world(session, batch_org, len(AMOUNTS), earlier(batch_org))
    for person, minutes in zip(singles, AMOUNTS, strict=True):
        await ledger.credit_service(
            session,
            org_id=one_org,
            user_id=person.id,
            minutes=minutes,
            ref_type="t",
            ref_id=1,
            memo="活动",
            actor_id=None,
        )
    # The batch also carries a reference already credited (the earlier one): it posts nothing.
    credits = [ledger.Credit(batched[0].id, 15, "t", 0, "")] + [
        ledger.Credit(p.id, minutes, "t", 1, "活动") for p, minutes in zip(batched, AMOUNTS, strict=True)
    ]
    posted = await ledger.credit_many(session, org_id=batch_org, credits=credits, actor_id=None)
    await session.commit()
    assert len(posted) == len(AMOUNTS) - 1 + 1  # every positive credit, new or earlier, by its reference
    assert ("t", 1, batched[3].id) not in posted

    assert await _state(session, batch_org, batched) == await _state(session, one_org, singles)
    check = await ledger.verify(session)
    assert check.ok, check.problems

    # A replay finds every reference credited: no txn, no entry, the same ids.
    txns = len((await session.exec(select(LedgerTxn.id))).all())
    again = await ledger.credit_many(session, org_id=batch_org, credits=credits, actor_id=None)
    await session.commit()
    assert again == posted
    assert len((await session.exec(select(LedgerTxn.id))).all()) == txns
    assert (await ledger.verify(session)).ok


async def test_credit_many_makes_accounts_and_links_the_issuers_chain(session):
    tree = await make_tree(session)
    people = [await make_user(session, name=f"居民{i}") for i in range(5)]
    posted = await ledger.credit_many(
        session,
        org_id=tree.compound.id,
        credits=[ledger.Credit(p.id, 30, "t", 7, "") for p in people],
        actor_id=None,
    )
    await session.commit()
    assert len(posted) == 5
    issuer = await ledger.issuing_account(session, org_id=tree.compound.id)
    assert (issuer.balance_minutes, issuer.version) == (-150, 5)
    assert [v for _, _, v in await _chain(session, issuer.id)] == [1, 2, 3, 4, 5]
    last = (await session.exec(select(LedgerTxn).order_by(col(LedgerTxn.id).desc()))).first()
    assert issuer.last_hash == last.hash
    persons = (
        await session.exec(select(LedgerAccount).where(LedgerAccount.kind == AccountKind.person))
    ).all()
    assert sorted((a.balance_minutes, a.earned_minutes, a.version) for a in persons) == [(30, 30, 1)] * 5
    assert (await ledger.verify(session)).ok
    assert await ledger.credit_many(session, org_id=tree.compound.id, credits=[], actor_id=None) == {}
