"""The ledger's posting function: double entry, balances, idempotent credits, the hash chain."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.models.timebank import LedgerAccount, LedgerEntry, LedgerTxn
from app.services import ledger
from tests.factories import make_tree, make_user


async def test_credit_service_moves_minutes_from_the_community_issuer(session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.grid)
    txn = await ledger.credit_service(
        session,
        org_id=tree.grid.id,
        user_id=user.id,
        minutes=90,
        ref_type="wish",
        ref_id=7,
        memo="帮忙买菜",
        actor_id=None,
    )
    await session.commit()
    entries = (await session.exec(select(LedgerEntry).where(LedgerEntry.txn_id == txn.id))).all()
    assert sorted(e.amount_minutes for e in entries) == [-90, 90]
    person = await ledger.find_person_account(session, user_id=user.id)
    assert (person.balance_minutes, person.earned_minutes, person.spent_minutes) == (90, 90, 0)
    issuer = await ledger.issuing_account(session, org_id=tree.grid.id)
    assert issuer.org_id == tree.community.id
    assert issuer.balance_minutes == -90


async def test_credit_service_twice_for_the_same_ref_credits_once(session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    first = await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=user.id,
        minutes=60,
        ref_type="activity",
        ref_id=3,
        memo="活动",
        actor_id=None,
    )
    second = await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=user.id,
        minutes=60,
        ref_type="activity",
        ref_id=3,
        memo="活动",
        actor_id=None,
    )
    await session.commit()
    assert second.id == first.id
    assert (await ledger.find_person_account(session, user_id=user.id)).balance_minutes == 60
    assert len((await session.exec(select(LedgerTxn))).all()) == 1


async def test_credit_service_with_no_minutes_posts_nothing(session):
    tree = await make_tree(session)
    user = await make_user(session)
    assert (
        await ledger.credit_service(
            session,
            org_id=tree.compound.id,
            user_id=user.id,
            minutes=0,
            ref_type="shift",
            ref_id=1,
            memo="",
            actor_id=None,
        )
        is None
    )
    assert (await session.exec(select(LedgerTxn))).first() is None


async def test_org_without_community_issues_from_the_alliance(session):
    tree = await make_tree(session)
    assert await ledger.issuer_org_id(session, org_id=tree.unit.id) == tree.alliance.id
    assert await ledger.issuer_org_id(session, org_id=tree.community.id) == tree.community.id


async def test_spending_more_than_the_balance_is_refused(session):
    tree = await make_tree(session)
    a = await make_user(session)
    b = await make_user(session)
    await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=a.id,
        minutes=30,
        ref_type="wish",
        ref_id=1,
        memo="",
        actor_id=None,
    )
    pa = await ledger.person_account(session, user_id=a.id)
    pb = await ledger.person_account(session, user_id=b.id)
    with pytest.raises(ledger.InsufficientBalance):
        await ledger.post(session, kind="transfer", legs=[(pa, -31), (pb, 31)], memo="", actor_id=a.id)


async def test_database_refuses_a_negative_person_balance(session):
    user = await make_user(session)
    account = await ledger.person_account(session, user_id=user.id)
    await session.commit()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.exec(
                text("UPDATE ledger_accounts SET balance_minutes = -1 WHERE id = :i"),
                params={"i": account.id},
            )


async def test_legs_must_sum_to_zero(session):
    user = await make_user(session)
    other = await make_user(session)
    a = await ledger.person_account(session, user_id=user.id)
    b = await ledger.person_account(session, user_id=other.id)
    with pytest.raises(ValueError):
        await ledger.post(session, kind="transfer", legs=[(a, -1), (b, 2)], memo="", actor_id=None)


async def test_each_account_chains_its_own_txns(session):
    tree = await make_tree(session)
    user, other = await make_user(session), await make_user(session)
    for i, person in enumerate([user, user, other]):
        await ledger.credit_service(
            session,
            org_id=tree.compound.id,
            user_id=person.id,
            minutes=10,
            ref_type="wish",
            ref_id=i,
            memo=f"第{i}次",
            actor_id=None,
        )
    await session.commit()
    txns = (await session.exec(select(LedgerTxn).order_by(LedgerTxn.id))).all()
    mine = await ledger.find_person_account(session, user_id=user.id)
    theirs = await ledger.find_person_account(session, user_id=other.id)
    links = {
        (e.txn_id, e.account_id): (e.account_version, e.prev_hash)
        for e in (await session.exec(select(LedgerEntry))).all()
    }
    # The person's chain: genesis → txn 0 → txn 1; the other person's starts at genesis on txn 2.
    assert links[(txns[0].id, mine.id)] == (1, ledger.GENESIS_HASH)
    assert links[(txns[1].id, mine.id)] == (2, txns[0].hash)
    assert links[(txns[2].id, theirs.id)] == (1, ledger.GENESIS_HASH)
    # The community's issuing account took part in all three: its chain runs through each.
    issuer = await ledger.issuing_account(session, org_id=tree.compound.id)
    assert [links[(t.id, issuer.id)] for t in txns] == [
        (1, ledger.GENESIS_HASH),
        (2, txns[0].hash),
        (3, txns[1].hash),
    ]
    assert (mine.version, mine.last_hash, theirs.version, issuer.version) == (2, txns[1].hash, 1, 3)
    check = await ledger.verify(session)
    assert (check.ok, check.transactions, check.entries_sum, check.chain_ok) == (True, 3, 0, True)


async def _three_credits(session):
    tree = await make_tree(session)
    user = await make_user(session)
    txns = [
        await ledger.credit_service(
            session,
            org_id=tree.compound.id,
            user_id=user.id,
            minutes=10,
            ref_type="wish",
            ref_id=i,
            memo="",
            actor_id=None,
        )
        for i in range(3)
    ]
    await session.commit()
    return user, txns


async def _drop_txn(session, txn_id: int) -> None:
    await session.exec(text("DELETE FROM ledger_entries WHERE txn_id = :t"), params={"t": txn_id})
    await session.exec(text("DELETE FROM ledger_txns WHERE id = :t"), params={"t": txn_id})


async def test_verify_finds_a_txn_taken_out_of_the_middle(session):
    user, txns = await _three_credits(session)
    await _drop_txn(session, txns[1].id)
    check = await ledger.verify(session)
    assert (check.chain_ok, check.first_broken_txn_id) == (False, txns[2].id)


async def test_verify_finds_a_txn_cut_off_the_end_even_with_balances_mended(session):
    user, txns = await _three_credits(session)
    await _drop_txn(session, txns[2].id)
    # The tamperer also mends the stored balances, so only the accounts' chain heads can tell.
    await session.exec(
        text("UPDATE ledger_accounts SET balance_minutes = balance_minutes + 10 WHERE kind = 'issuing'")
    )
    await session.exec(
        text("UPDATE ledger_accounts SET balance_minutes = 20 WHERE user_id = :u"), params={"u": user.id}
    )
    check = await ledger.verify(session)
    assert check.balances_ok is True
    assert check.chain_ok is False
    assert any("链头" in p for p in check.problems)


async def test_verify_finds_an_edited_amount(session):
    tree = await make_tree(session)
    user = await make_user(session)
    txn = await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=user.id,
        minutes=10,
        ref_type="wish",
        ref_id=1,
        memo="",
        actor_id=None,
    )
    await session.commit()
    person = await ledger.find_person_account(session, user_id=user.id)
    await session.exec(
        text("UPDATE ledger_entries SET amount_minutes = 100 WHERE txn_id = :t AND account_id = :a"),
        params={"t": txn.id, "a": person.id},
    )
    check = await ledger.verify(session)
    assert check.ok is False
    assert check.chain_ok is False
    assert check.first_broken_txn_id == txn.id
    assert check.unbalanced_txn_ids == [txn.id]
    assert check.entries_sum == 90
    assert (person.id, 10, 100) in check.mismatched_accounts


async def test_reversal_undoes_a_txn_once(session):
    tree = await make_tree(session)
    user = await make_user(session)
    txn = await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=user.id,
        minutes=40,
        ref_type="wish",
        ref_id=1,
        memo="",
        actor_id=None,
    )
    await ledger.reverse(session, txn_id=txn.id, memo="误记", actor_id=None)
    await session.commit()
    account = (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user.id))).one()
    assert account.balance_minutes == 0
    assert (await ledger.verify(session)).ok is True


async def test_the_chain_walk_and_the_balance_comparison_each_find_their_own_kind_of_tampering(session):
    tree = await make_tree(session)
    user = await make_user(session)
    txn = await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=user.id,
        minutes=10,
        ref_type="wish",
        ref_id=1,
        memo="",
        actor_id=None,
    )
    await session.commit()
    person = await ledger.find_person_account(session, user_id=user.id)
    # A stored balance edited alone: the chain still walks clean; the comparison sees it.
    await session.exec(
        text("UPDATE ledger_accounts SET balance_minutes = 500 WHERE id = :a"), params={"a": person.id}
    )
    walked = ledger.LedgerCheck()
    await ledger.walk_chain(session, walked)
    assert (walked.chain_ok, walked.balances_ok, walked.transactions, walked.problems) == (True, True, 1, [])
    compared = ledger.LedgerCheck()
    await ledger.compare_balances(session, compared)
    assert compared.balances_ok is False
    assert compared.mismatched_accounts == [(person.id, 500, 10)]
    assert compared.chain_ok is True
    # A txn's memo edited: the walk sees the broken hash; the comparison is blind to it.
    await session.exec(
        text("UPDATE ledger_accounts SET balance_minutes = 10 WHERE id = :a"), params={"a": person.id}
    )
    await session.exec(text("UPDATE ledger_txns SET memo = '改过' WHERE id = :t"), params={"t": txn.id})
    walked = ledger.LedgerCheck()
    await ledger.walk_chain(session, walked)
    assert (walked.chain_ok, walked.first_broken_txn_id) == (False, txn.id)
    compared = ledger.LedgerCheck()
    await ledger.compare_balances(session, compared)
    assert (compared.balances_ok, compared.problems) == (True, [])
