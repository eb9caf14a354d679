"""An organiser lets a walk-in in beyond capacity from the phone and sees the list with names and states (issue 14, item 4)."""

from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.factories import make_activity, make_tree, make_user

pytestmark = pytest.mark.browser


async def test_a_walk_in_is_let_in_beyond_capacity_and_shows_on_the_list(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="刘书记", home=tree.compound, role=(tree.community, "staff"))
        booked = await make_user(s, name="陈阿姨", home=tree.compound)
        act = await make_activity(
            s,
            org=tree.compound,
            title="重阳节包饺子",
            starts_in=-timedelta(minutes=5),
            capacity=1,
            signed_up=[booked],
        )
    await login(page, staff)
    await page.goto(f"/activities/{act.id}")
    await page.get_by_label("手机号").fill("13900004444")
    await page.get_by_label("姓名").fill("赵奶奶")
    await page.get_by_role("button", name="代为签到").tap()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("名额已满")
    await dialog.get_by_role("button", name="超出名额签到").tap()
    await expect(page.locator("#toast")).to_have_text("赵奶奶 签到成功")
    await page.goto(f"/activities/{act.id}/roster")
    roster = page.locator("#roster")
    await expect(roster.locator("[data-state=attended]")).to_contain_text("赵奶奶")
    await expect(roster.locator("[data-state=signed_up]")).to_contain_text("陈阿姨")
    await expect(page.get_by_role("link", name="下载 Excel 签到表")).to_be_visible()
