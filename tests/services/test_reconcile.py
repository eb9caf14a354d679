"""`ejia reconcile`: the ledger and the records agree, on the demo and when they do not."""

from datetime import timedelta

from app.demo import load_demo
from app.services import ledger
from app.services.reconcile import reconcile
from tests.factories import make_tree, make_user


async def test_the_demo_reconciles(session):
    # The issue: 12 demo credits were backed by no wish, activity or shift, and the ledger was
    # stamped with the seeding moment while the records said weeks earlier.
    assert await load_demo(session, force=True)
    result = await reconcile(session)
    assert result.problems == []
    assert result.credits == result.sources > 12
    assert result.periods > 0
    assert (await ledger.verify(session)).ok  # postings at their own times keep the chain whole


async def test_demo_statements_carry_the_day_the_service_happened(session):
    from sqlmodel import select

    from app.models.timebank import LedgerTxn
    from app.models.wishes import Wish

    assert await load_demo(session, force=True)
    verified = (await session.exec(select(Wish).where(Wish.status == "verified"))).all()
    assert verified
    for wish in verified:
        txn = (
            await session.exec(
                select(LedgerTxn).where(LedgerTxn.ref_type == "wish", LedgerTxn.ref_id == wish.id)
            )
        ).one()
        assert abs((txn.created_at - wish.verified_at).total_seconds()) < 1
        steps = {e.action: e.at for e in await _events(session, wish.id)}
        assert steps["verify"] == wish.verified_at
    months = {t.created_at.strftime("%Y-%m") for t in (await session.exec(select(LedgerTxn))).all()}
    assert len(months) >= 10  # a year of history, not one seeding moment
    # The family transfer and the redemption went through the use cases, yesterday: the voucher has its
    # pickup code and its time is the redeem txn's.
    from app import clock
    from app.models.timebank import Redemption, Reward

    moved = (await session.exec(select(LedgerTxn).where(LedgerTxn.kind.in_(("transfer", "redeem"))))).all()
    assert sorted((t.kind, t.memo) for t in moved) == [
        ("redeem", "兑换：鸡蛋一盒"),
        ("transfer", "转赠给吴奶奶"),
    ]
    assert all(t.created_at.date() == (clock.now() - timedelta(days=1)).date() for t in moved)
    voucher = (await session.exec(select(Redemption))).one()
    redeemed = next(t for t in moved if t.kind == "redeem")
    assert (voucher.txn_id, voucher.status) == (redeemed.id, "redeemed")
    assert abs((voucher.created_at - redeemed.created_at).total_seconds()) < 1
    assert voucher.pickup_code is not None and len(voucher.pickup_code) == 8
    assert (await session.get(Reward, voucher.reward_id)).stock == 14


async def _events(session, wish_id):
    from sqlmodel import select

    from app.models.wishes import WishEvent

    return (await session.exec(select(WishEvent).where(WishEvent.wish_id == wish_id))).all()


async def test_a_credit_without_its_source_and_a_source_without_its_credit_are_found(session):
    from app.models.wishes import Wish

    tree = await make_tree(session)
    person, poster = await make_user(session), await make_user(session)
    await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=person.id,
        minutes=60,
        ref_type="demo",
        ref_id=1,
        memo="凭空记入",
        actor_id=None,
    )
    wish = Wish(
        org_id=tree.compound.id,
        poster_id=poster.id,
        title="修水龙头",
        category="生活服务",
        status="verified",
        claimer_id=person.id,
        credit_minutes=90,
    )
    session.add(wish)
    await session.flush()
    result = await reconcile(session)
    assert result.problems[:2] == [
        f"时间银行记入 60 分钟没有来源记录：demo 1（用户 {person.id}）",
        f"心愿 {wish.id}（用户 {person.id}） 记录 90 分钟，时间银行没有对应记入",
    ]
