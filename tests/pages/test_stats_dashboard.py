"""The numbers in a real browser at 375 px: change the period, drill down one level, download the
workbook whose figures equal the page's."""

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
