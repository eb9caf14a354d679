"""The wish journey in a real browser at 375 px: post, publish, claim, done, confirm, verify, balance grows."""

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ejia-wish-shots")
SHOTS.mkdir(exist_ok=True)


async def _balance(page) -> int:
    resp = await page.request.get("/api/v1/timebank/me")
    assert resp.status == 200
    return (await resp.json())["balance_minutes"]


async def test_resident_posts_staff_publishes_volunteer_claims_and_is_credited(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
        volunteer = await make_user(s, name="蒋志愿者", home=tree.compound)

    # The resident posts a wish with the big buttons.
    await login(page, resident)
    await page.goto("/wishes/new")
    await page.get_by_role("button", name="助老").tap()
    await expect(page.get_by_role("button", name="助老")).to_have_attribute("aria-pressed", "true")
    await page.get_by_label("心愿").fill("帮忙取药")
    await page.get_by_label("说明").fill("腿脚不便，请帮忙去社区医院取降压药")
    await page.screenshot(path=str(SHOTS / "new.png"), full_page=True)
    await page.get_by_role("button", name="提交心愿").tap()
    await expect(page).to_have_url(re.compile(r"/wishes/\d+$"))
    wish_url = page.url
    await expect(page.locator("#wish-status")).to_have_text("待审核")

    # Staff publish it.
    await login(page, staff)
    await page.goto("/admin/wishes")
    await page.locator("#queue-review").get_by_text("帮忙取药").tap()
    await page.get_by_role("button", name="通过并发布").tap()
    await expect(page.locator("#wish-status")).to_have_text("待认领")

    # A volunteer finds it on the wall, claims it and marks it done.
    await login(page, volunteer)
    before = await _balance(page)
    await page.goto("/wishes")
    await page.locator("#wall").get_by_text("帮忙取药").tap()
    await page.get_by_role("button", name="我来认领").tap()
    await expect(page.locator("#wish-status")).to_have_text("已认领")
    await page.get_by_label("做了什么").fill("已把药送到家中")
    await page.get_by_label("用时(分钟)").fill("60")
    await page.screenshot(path=str(SHOTS / "claimed.png"), full_page=True)
    await page.get_by_role("button", name="服务完成").tap()
    await expect(page.locator("#wish-status")).to_have_text("已完成")

    # The resident confirms and rates it.
    await login(page, resident)
    await page.goto(wish_url)
    await page.locator("label[for=star-4]").tap()
    await page.get_by_label("评价").fill("谢谢小蒋")
    await page.get_by_role("button", name="确认并评价").tap()
    await expect(page.locator("#wish-status")).to_have_text("已确认")
    await expect(page.locator("#rating")).to_contain_text("谢谢小蒋")

    # Staff verify it from the queue.
    await login(page, staff)
    await page.goto("/admin/wishes")
    await page.locator("#queue-verify").get_by_text("帮忙取药").tap()
    await expect(page.get_by_label("记入时长(分钟)")).to_have_value("60")
    await page.get_by_role("button", name="验收通过").tap()
    await expect(page.locator("#wish-status")).to_have_text("已验收")
    await expect(page.locator("#timeline li")).to_have_count(6)

    # The volunteer's balance grew by the credited minutes.
    await login(page, volunteer)
    assert await _balance(page) == before + 60
    await page.goto(wish_url)
    await expect(page.locator("#verified-note")).to_contain_text("记入时间银行 1小时")
    await page.screenshot(path=str(SHOTS / "verified.png"), full_page=True)


async def test_draft_survives_a_reload_and_category_is_kept(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="吴奶奶", home=tree.compound)
    await login(page, resident)
    await page.goto("/wishes/new")
    await page.get_by_role("button", name="物资").tap()
    await page.get_by_label("心愿").fill("想要一个新书包")
    await page.reload()
    await expect(page.get_by_label("心愿")).to_have_value("想要一个新书包")
    await expect(page.get_by_role("button", name="物资")).to_have_attribute("aria-pressed", "true")


async def test_wish_pages_fit_375_and_pass_axe(page, page_db, login, axe_check):
    from app.models.wishes import Wish

    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="钱大爷", home=tree.compound)
        neighbour = await make_user(s, name="张阿姨", home=tree.compound)
        wish = Wish(
            org_id=tree.compound.id,
            poster_id=neighbour.id,
            title="帮忙修理自行车",
            category="生活服务",
            description="车链掉了，想请会修车的邻居帮忙",
            status="published",
        )
        s.add(wish)
        await s.commit()
    await login(page, resident)
    for path in ("/wishes", "/wishes/new", "/wishes?mine=true", f"/wishes/{wish.id}"):
        await page.goto(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide"
        await axe_check(page)
