"""One 联席会议 in a real browser at 375 px: the alliance sets the chair rotation, the chair is proposed,
a member signs in by the QR code, the organiser records minutes with two resolutions and gives an action
item to a unit, the unit reports it done, and the resolutions show as 公示 for the community."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from app import clock
from app.models.activities import Activity
from app.models.org import UnitCommunity
from app.services import qr
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ejia-meetings-shots")
SHOTS.mkdir(exist_ok=True)


async def _fits(page):
    assert await page.evaluate("document.documentElement.scrollWidth") == 375


async def test_a_joint_meeting_from_chair_to_public_resolutions(page, page_db, login, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        s.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
        alliance_admin = await make_user(s, name="组织部", role=(tree.alliance, "admin"))
        secretary = await make_user(s, name="社区书记", role=(tree.community, "admin"))
        hospital = await make_user(s, name="医院书记", role=(tree.unit, "admin"))
        member = await make_user(s, name="王居民", home=tree.compound)
        start = clock.now() - timedelta(minutes=5)
        meeting = Activity(
            org_id=tree.community.id,
            title="第三季度共建联席会议",
            kind="联席会议",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=30,
            signup_required=False,
        )
        s.add(meeting)
        await s.commit()

    # The alliance sets the order units chair the community's joint meeting in.
    await login(page, alliance_admin)
    await page.goto("/admin/meetings")
    rotation = page.locator(f'form[data-rotation="{tree.community.id}"]')
    await rotation.get_by_label("县医院").check()
    await rotation.get_by_role("button", name="保存轮值顺序（按勾选顺序）").tap()
    await expect(page.locator(f'form[data-rotation="{tree.community.id}"]')).to_contain_text(
        "下一次轮值：县医院"
    )

    # The secretary opens the meeting: the chair is proposed from the rotation.
    await login(page, secretary)
    await page.goto(f"/activities/{meeting.id}/meeting")
    await expect(page.locator("[data-proposed-chair]")).to_contain_text("县医院")
    await _fits(page)
    await axe_check(page)

    # A member signs in by scanning the meeting's code.
    await login(page, member)
    await page.goto("/scan")
    await page.get_by_label("签到码").fill(qr.live_token("a", meeting.id, at=clock.now())[2])
    await page.get_by_role("button", name="签到", exact=True).tap()
    await expect(page.locator("#result-title")).to_have_text("活动签到成功")

    # Minutes with two resolutions, shown to the community; an action item for the hospital.
    await login(page, secretary)
    await page.goto(f"/activities/{meeting.id}/meeting")
    await page.get_by_label("会议纪要", exact=True).fill("研究小区停车难问题，各单位发言。")
    await page.get_by_label("会议决议", exact=True).fill("增设临时停车位\n单位停车场夜间向居民开放")
    await page.get_by_label("决议向本社区居民公示").check()
    await page.get_by_role("button", name="保存纪要").tap()
    await expect(page.locator(".app-resolutions")).to_contain_text("单位停车场夜间向居民开放")
    await expect(page.locator("#meeting")).to_contain_text("轮值主席")
    await page.get_by_label("事项", exact=True).fill("制定夜间开放停车场方案")
    await page.get_by_label("责任方").select_option(label="县医院")
    await page.get_by_label("完成期限").fill((clock.today() + timedelta(days=14)).isoformat())
    await page.get_by_role("button", name="交办").tap()
    await expect(page.locator(".app-item")).to_contain_text("进行中")
    await page.screenshot(path=SHOTS / "meeting.png", full_page=True)

    # The hospital finds it in its action items and reports it done.
    await login(page, hospital)
    await page.goto("/meetings/action-items")
    await expect(page.locator(".app-item")).to_contain_text("制定夜间开放停车场方案")
    await _fits(page)
    await axe_check(page)
    await page.get_by_label("办结情况").fill("方案已印发，夜间 19 点后开放")
    await page.get_by_role("button", name="办结").tap()
    await expect(page.locator(".app-item")).to_contain_text("已办结")
    await page.screenshot(path=SHOTS / "action-items.png", full_page=True)

    # A resident of the community sees the resolutions (公示), not the minutes' text.
    await login(page, member)
    await page.goto("/meetings/resolutions")
    await expect(page.locator(f'[data-meeting="{meeting.id}"]')).to_contain_text("增设临时停车位")
    await expect(page.locator(f'[data-meeting="{meeting.id}"]')).to_contain_text("轮值主席：县医院")
    await expect(page.get_by_text("研究小区停车难问题")).to_have_count(0)
    await page.screenshot(path=SHOTS / "resolutions.png", full_page=True)
    await _fits(page)
    await axe_check(page)
