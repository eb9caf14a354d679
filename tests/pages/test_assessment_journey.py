"""The co-building assessment in a real browser at 375 px: the alliance sets the items, the community adds a
commitment and scores the unit item by item, the alliance approves (审定), and the unit sees its progress."""

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from app import clock
from app.models.cobuilding import CoBuildingAgreement
from app.models.org import UnitCommunity
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ejia-meetings-shots")
SHOTS.mkdir(exist_ok=True)


async def _fits(page):
    assert await page.evaluate("document.documentElement.scrollWidth") == 375


async def test_items_scores_approval_and_the_units_progress(page, page_db, login, axe_check):
    year = clock.today().year
    async with page_db.session() as s:
        tree = await make_tree(s)
        s.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
        s.add(
            CoBuildingAgreement(
                unit_id=tree.unit.id,
                community_id=tree.community.id,
                signed_on=date(year, 1, 1),
                term_months=24,
            )
        )
        await s.commit()
        organisation = await make_user(s, name="组织部", role=(tree.alliance, "admin"))
        secretary = await make_user(s, name="社区书记", role=(tree.community, "admin"))
        hospital = await make_user(s, name="医院书记", role=(tree.unit, "admin"))

    # The alliance sets two items whose weights make 100.
    await login(page, organisation)
    await page.goto("/admin/assessments")
    rows = page.locator("[data-item-row]")
    await rows.nth(0).get_by_label("项目名称").fill("项目认领")
    await rows.nth(0).get_by_label("权重").fill("60")
    await rows.nth(0).get_by_label("自动指标").select_option(label="认领项目完成数")
    await page.get_by_role("button", name="添加一项").tap()
    await rows.nth(1).get_by_label("项目名称").fill("联席会议参与")
    await rows.nth(1).get_by_label("权重").fill("40")
    await _fits(page)
    await axe_check(page)
    await page.get_by_role("button", name="保存考核项目").tap()
    await expect(page.locator("[data-item-row]")).to_have_count(2)
    await expect(page.locator("[data-item-row]").nth(1).get_by_label("项目名称")).to_have_value(
        "联席会议参与"
    )

    # The community adds a commitment to the agreement and scores the unit.
    await login(page, secretary)
    await page.goto("/admin/assessments")
    await page.get_by_role("link", name="县医院").tap()
    await page.get_by_label("承诺内容").fill("每月到社区义诊一次")
    await page.get_by_role("button", name="添加承诺事项").tap()
    await expect(page.locator("#content, body")).to_contain_text("本期")
    fields = page.locator("[data-item]")
    await fields.nth(0).get_by_label("得分").fill("90")
    await fields.nth(0).get_by_label("理由").fill("认领并完成两个项目")
    await fields.nth(1).get_by_label("得分").fill("80")
    await fields.nth(1).get_by_label("理由").fill("缺席一次")
    await _fits(page)
    await axe_check(page)
    await page.screenshot(path=SHOTS / "score.png", full_page=True)
    await page.get_by_role("button", name="提交评分").tap()
    await expect(page.locator("#toast")).to_contain_text("加权总分 86")

    # The alliance approves; the scores can no longer change.
    await login(page, organisation)
    await page.goto(f"/admin/assessments?year={year}")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator(f'[data-approve="{tree.unit.id}"]').tap()
    await expect(page.locator(f'[data-rank-unit="{tree.unit.id}"]')).to_contain_text("已审定")
    await page.screenshot(path=SHOTS / "assessments.png", full_page=True)

    # The unit sees its figures, commitments and approved score.
    await login(page, hospital)
    await page.goto("/units/progress")
    await expect(page.locator("body")).to_contain_text("每月到社区义诊一次")
    await expect(page.locator("body")).to_contain_text("86.0 分")
    await expect(page.locator("body")).to_contain_text("已审定")
    await page.screenshot(path=SHOTS / "progress.png", full_page=True)
    await _fits(page)
    await axe_check(page)
