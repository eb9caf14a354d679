"""The /timebank page in a phone-sized browser: hours shown in Chinese, a double submit donates once."""

import pytest
from sqlmodel import func, select

from app.models.timebank import LedgerTxn
from app.services import ledger
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def test_double_submitted_donation_posts_once(page, page_db, login, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        giver = await make_user(s, name="钱大爷", home=tree.compound)
        son = await make_user(s, name="钱小明", home=tree.compound)
        await ledger.credit_service(
            s,
            org_id=tree.compound.id,
            user_id=giver.id,
            minutes=750,
            ref_type="wish",
            ref_id=1,
            memo="帮邻居修水管",
            actor_id=None,
        )
        await s.commit()
    await login(page, giver)
    await page.goto("/timebank")
    assert (await page.text_content("#tb-balance")).strip() == "12小时30分"
    await axe_check(page)
    await page.fill("#to_phone", son.phone)
    await page.fill("#hours", "1.5")
    # Two submits in the same instant (a double tap, or a tap and a retry): one key, one posting.
    await page.evaluate(
        "() => { const f = document.getElementById('transfer-form'); f.requestSubmit(); f.requestSubmit(); }"
    )
    # One WeUI dialog asks once for both submits.
    assert await page.locator(".app-dialog").count() == 1
    await page.locator(".app-dialog").get_by_role("button", name="确认转赠").tap()
    await page.wait_for_selector("#toast:has-text('已转赠')")
    async with page_db.session(write=False) as s:
        transfers = (
            await s.exec(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.kind == "transfer"))
        ).one()
        assert transfers == 1
        assert (await ledger.find_person_account(s, user_id=son.id)).balance_minutes == 90
        assert (await ledger.find_person_account(s, user_id=giver.id)).balance_minutes == 660


async def test_a_redeemed_reward_is_a_voucher_the_station_master_hands_over(page, page_db, login):
    from app.models.stations import Station
    from app.models.timebank import Reward

    async with page_db.session() as s:
        tree = await make_tree(s)
        granny = await make_user(s, name="王秀英", home=tree.compound)
        master = await make_user(s, name="站长", role=(tree.compound, "staff"))
        station = Station(
            org_id=tree.compound.id, name="幸福里红色驿站", lat=30.1, lng=120.1, open_hours="8:00-18:00"
        )
        s.add(station)
        await s.flush()
        s.add(
            Reward(org_id=tree.compound.id, station_id=station.id, name="大米一袋", price_minutes=60, stock=3)
        )
        await ledger.credit_service(
            s,
            org_id=tree.compound.id,
            user_id=granny.id,
            minutes=90,
            ref_type="wish",
            ref_id=1,
            memo="服务",
            actor_id=None,
        )
        await s.commit()
    await login(page, granny)
    await page.goto("/timebank")
    await page.locator("[data-redeem]").first.tap()
    await page.locator(".app-dialog").get_by_role("button", name="兑换").tap()
    await page.wait_for_selector("#toast:has-text('领取码')")
    await page.wait_for_selector("#vouchers")
    code = (await page.locator(".tb-code").first.inner_text()).replace(" ", "")
    assert len(code) == 8
    assert "幸福里红色驿站" in await page.locator("#vouchers").inner_text()

    await page.context.clear_cookies()
    await login(page, master)
    await page.goto("/timebank/rewards/manage")
    await page.fill("#pickup-code", code)
    await page.get_by_role("button", name="核对并发放").tap()
    await page.wait_for_selector("#handover-result:has-text('大米一袋')")
    assert "王**" in await page.locator("#handover-result").inner_text()

    await page.context.clear_cookies()
    await login(page, granny)
    await page.goto("/timebank")
    assert "已领取" in await page.locator("#vouchers").inner_text()
