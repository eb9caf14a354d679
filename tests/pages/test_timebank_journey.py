"""The /timebank page in a phone-sized browser: hours shown in Chinese, a double submit donates once."""

import asyncio

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
    page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await page.goto("/timebank")
    assert (await page.text_content("#tb-balance")).strip() == "12小时30分"
    await axe_check(page)
    await page.fill("#to_phone", son.phone)
    await page.fill("#hours", "1.5")
    # Two submits in the same instant (a double tap, or a tap and a retry): one key, one posting.
    await page.evaluate(
        "() => { const f = document.getElementById('transfer-form'); f.requestSubmit(); f.requestSubmit(); }"
    )
    await page.wait_for_selector("#toast:has-text('已转赠')")
    async with page_db.session(write=False) as s:
        transfers = (
            await s.exec(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.kind == "transfer"))
        ).one()
        assert transfers == 1
        assert (await ledger.find_person_account(s, user_id=son.id)).balance_minutes == 90
        assert (await ledger.find_person_account(s, user_id=giver.id)).balance_minutes == 660
