"""The scan journey in a real browser at 375 px: type a code and see the confirmation; the live screen counts."""

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from app import clock
from app.models.stations import Station
from app.services import qr
from tests.factories import make_activity, make_tree, make_user

pytestmark = pytest.mark.browser


async def _station(page_db, *, master=False):
    async with page_db.session() as s:
        tree = await make_tree(s)
        boss = await make_user(s, name="孙站长") if master else None
        station = Station(
            org_id=tree.compound.id,
            name="幸福里红色驿站",
            lat=34.2867,
            lng=119.2390,
            services=["饮水", "充电"],
            master_id=boss.id if boss else None,
        )
        s.add(station)
        await s.commit()
        rider = await make_user(s, name="沈骑手", home=tree.compound)
        return station, rider, boss


async def test_typing_the_short_code_shows_the_confirmation(page, page_db, login, axe_check):
    station, rider, _ = await _station(page_db)
    await login(page, rider)
    await page.goto("/scan")
    short = qr.live_token("s", station.id, at=clock.now())[2]
    await page.get_by_label("签到码").fill(short)
    await page.get_by_role("button", name="签到", exact=True).tap()
    result = page.get_by_role("status").filter(has_text="到站签到成功")
    await expect(result).to_be_visible()
    await expect(result).to_contain_text("欢迎来到幸福里红色驿站")
    # 最近签到 shows it at once, without a reload (it said 还没有签到记录 before).
    await expect(page.locator("#recent .weui-cell").first).to_contain_text("幸福里红色驿站")
    await expect(page.locator("#recent-empty")).to_have_count(0)
    await axe_check(page)


async def test_scanned_link_is_submitted_at_once_and_a_retry_says_already(page, page_db, login):
    station, rider, _ = await _station(page_db)
    await login(page, rider)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    await page.goto(f"/scan?t={token}")
    await expect(page.locator("#result-title")).to_have_text("到站签到成功")
    await expect(page).to_have_url(re.compile(r"/scan$"))
    await page.get_by_label("签到码").fill(token)
    await page.get_by_role("button", name="签到", exact=True).tap()
    await expect(page.locator("#result-title")).to_have_text("您已签到过")


async def test_wrong_code_shows_a_chinese_error(page, page_db, login):
    _, rider, _ = await _station(page_db)
    await login(page, rider)
    await page.goto("/scan")
    await page.get_by_label("签到码").fill("S1-000000")
    await page.get_by_role("button", name="签到", exact=True).tap()
    await expect(page.locator("#result-title")).to_have_text("签到未成功")
    await expect(page.locator("#result-desc")).to_contain_text("签到码")


async def test_activity_code_signs_in_a_signed_up_resident(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        person = await make_user(s, name="张阿姨", home=tree.compound)
        activity = await make_activity(
            s,
            org=tree.compound,
            title="主题党日",
            kind="主题党日",
            starts_in=timedelta(minutes=10),
            length=timedelta(hours=1),
            signup_required=True,
        )
    await login(page, person)
    await page.goto(f"/activities/{activity.id}")
    await page.get_by_role("button", name="我要报名").tap()
    await expect(page.get_by_role("img", name="我的入场码")).to_be_visible()
    await page.goto("/scan")
    await page.get_by_label("签到码").fill(qr.live_token("a", activity.id, at=clock.now())[2])
    await page.get_by_role("button", name="签到", exact=True).tap()
    await expect(page.locator("#result-title")).to_have_text("活动签到成功")


async def test_station_screen_shows_live_code_and_counts_scans(page, page_db, login, server):
    import httpx

    from app.config import get_settings
    from app.security import issue_access_token

    station, rider, master = await _station(page_db, master=True)
    await login(page, master)
    await page.goto(f"/stations/{station.id}/screen")
    await expect(page.get_by_role("img", name=re.compile("签到二维码"))).to_be_visible()
    await expect(page.locator("#count")).to_have_text("0")
    short = await page.locator("#short-code").inner_text()
    async with httpx.AsyncClient(base_url=server) as c:
        resp = await c.post(
            "/api/v1/checkins",
            json={"token": short},
            headers={"Authorization": f"Bearer {issue_access_token(get_settings(), rider.id)}"},
        )
        assert resp.status_code == 200
    await expect(page.locator("#count")).to_have_text("1", timeout=8000)
