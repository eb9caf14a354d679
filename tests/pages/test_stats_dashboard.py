"""The numbers in a real browser at 375 px: change the period, drill down one level and back up, open the
records behind a figure (as many as the figure), download the workbooks whose figures equal the page's,
and open the 数据大屏 at TV and tablet sizes without scrolling."""

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from app import clock
from app.models.wishes import Wish
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/pages-shots")
SHOTS.mkdir(exist_ok=True)


async def test_admin_changes_the_period_drills_down_and_downloads(page, page_db, login, axe_check):
    now = clock.now()
    async with page_db.session() as s:
        tree = await make_tree(s)
        admin = await make_user(s, name="王书记", role=(tree.alliance, "admin"))
        poster = await make_user(s, name="张阿姨", home=tree.compound)
        helper = await make_user(s, name="蒋志愿者")
        for back, minutes in ((0, 90), (400, 60)):  # one this year, one long ago
            s.add(
                Wish(
                    org_id=tree.compound.id,
                    poster_id=poster.id,
                    title="陪老人就医",
                    category="生活服务",
                    status="verified",
                    claimer_id=helper.id,
                    credit_minutes=minutes,
                    created_at=now - timedelta(days=back, hours=2),
                    verified_at=now - timedelta(days=back, hours=1),
                )
            )
        await s.commit()

    await login(page, admin)
    await page.goto(f"/admin/stats?org_id={tree.alliance.id}")
    await expect(page.locator("#minutes-served")).to_have_text("1小时30分")
    # A period reaching back two years takes in the older wish too.
    start = (now - timedelta(days=730)).date().isoformat()
    await page.locator("#from").fill(start)
    await page.get_by_role("button", name="查看").tap()
    await expect(page.locator("#minutes-served")).to_have_text("2小时30分")
    # Down one level: the community, same period.
    await page.locator("#cut-child").get_by_text("幸福社区").tap()
    await expect(page.locator(".app-profile__meta")).to_contain_text(f"幸福社区 · {start}")
    await expect(page.locator("#minutes-served")).to_have_text("2小时30分")
    await page.screenshot(path=str(SHOTS / "stats-drilled.png"), full_page=True)
    await axe_check(page)
    # The trend lines are drawn on the server, with their numbers in a table for screen readers.
    await expect(page.locator("#trend-minutes svg[viewBox]")).to_have_count(1)
    await expect(page.locator("#trend-minutes table")).to_contain_text("1.5")
    async with page.expect_download() as info:
        await page.get_by_text("统计台账").tap()
    data = Path(await (await info.value).path()).read_bytes()  # noqa: ASYNC240 (a test reading a download)
    rows = {r[0]: r[1] for r in load_workbook(BytesIO(data)).active.iter_rows(values_only=True)}
    assert (rows["组织"], rows["服务时长"], rows["服务时长（分钟）"], rows["心愿验收"]) == (
        "幸福社区",
        "2小时30分",
        150,
        2,
    )


async def test_records_behind_a_figure_yearly_workbook_and_the_big_screen(
    page, browser, server, page_db, login, axe_check
):
    now = clock.now()
    async with page_db.session() as s:
        tree = await make_tree(s)
        admin = await make_user(s, name="王书记", role=(tree.alliance, "admin"))
        poster = await make_user(s, name="张阿姨", home=tree.compound)
        helper = await make_user(s, name="蒋志愿者")
        for back, minutes in ((0, 90), (1, 30), (2, 60)):
            s.add(
                Wish(
                    org_id=tree.compound.id,
                    poster_id=poster.id,
                    title=f"陪老人就医{back}",
                    category="生活服务",
                    status="verified",
                    claimer_id=helper.id,
                    credit_minutes=minutes,
                    created_at=now - timedelta(days=back, hours=2),
                    verified_at=now - timedelta(days=back, hours=1),
                )
            )
        await s.commit()
    start = (now - timedelta(days=30)).date().isoformat()
    today = clock.today().isoformat()

    await login(page, admin)
    await page.goto(f"/admin/stats?org_id={tree.compound.id}&from={start}&to={today}")
    # The way back up: alliance › community › compound, each keeping the period.
    crumbs = page.locator("#org-path li")
    await expect(crumbs).to_have_count(3)
    await page.locator("#org-path a").nth(1).tap()
    await expect(page.locator(".app-profile__meta")).to_contain_text(f"幸福社区 · {start}")
    await page.screenshot(path=str(SHOTS / "stats-dashboard-375.png"), full_page=True)

    # The records behind 心愿验收: as many rows as the figure says.
    funnel_verified = page.locator(".app-bar__value a[href*='figure=wishes.verified']")
    await expect(funnel_verified).to_have_text("3")
    await funnel_verified.tap()
    await expect(page.locator("h1")).to_have_text("心愿验收")
    await expect(page.locator("#records-total")).to_have_text("3")
    await expect(page.locator("#records > li")).to_have_count(3)
    await expect(page.locator("#records")).to_contain_text("****")  # phones masked
    await axe_check(page)
    await page.go_back()
    await page.locator("#minutes-served a").tap()
    await expect(page.locator("#records-minutes")).to_have_text("3小时")
    await page.go_back()

    # The yearly workbook opens and its summary equals the page.
    async with page.expect_download() as info:
        await page.locator("#yearly-xlsx").tap()
    data = Path(await (await info.value).path()).read_bytes()  # noqa: ASYNC240 (a test reading a download)
    book = load_workbook(BytesIO(data))
    assert "按月" in book.sheetnames
    rows = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True)}
    assert (rows["组织"], rows["心愿验收"]) == ("幸福社区", 3)

    # The 数据大屏, linked from the dashboard: dark, large, one screen on a TV and on a landscape tablet.
    href = await page.locator("#screen-link").get_attribute("href")
    await page.locator("#screen-link").tap()
    await expect(page.locator("#screen-kpis")).to_contain_text("3小时")
    await page.screenshot(path=str(SHOTS / "stats-screen-375.png"), full_page=True)
    await axe_check(page)
    for size in ({"width": 1920, "height": 1080}, {"width": 1024, "height": 768}):
        context = await browser.new_context(viewport=size, locale="zh-CN", base_url=server)
        try:
            tv = await context.new_page()
            await login(tv, admin)
            await tv.goto(href)
            await expect(tv.locator("#screen-full")).to_be_visible()  # the Fullscreen API is there
            await expect(tv.locator("#dp")).to_have_attribute("data-refresh", "300")  # screen.js reloads
            fits = await tv.evaluate(
                "() => [document.documentElement.scrollHeight <= innerHeight, document.documentElement.scrollWidth <= innerWidth]"
            )
            await tv.screenshot(path=str(SHOTS / f"stats-screen-{size['width']}.png"))
            assert fits == [True, True], size
        finally:
            await context.close()
