"""A team from the phone: a resident asks to join, the leader approves; a resident scans the leader's
service card and asks for help (扫码为你服务)."""

import pytest
from playwright.async_api import expect

from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def test_join_approve_and_ask_for_help(browser, server, page_db, login, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="赵书记", role=(tree.community, "staff"))
        leader = await make_user(s, name="王队长", home=tree.compound, party="in_service")
        resident = await make_user(s, name="张阿姨", home=tree.compound)

    async def phone_as(user):
        context = await browser.new_context(
            viewport={"width": 375, "height": 667}, is_mobile=True, locale="zh-CN", base_url=server
        )
        page = await context.new_page()
        page.on("pageerror", lambda exc: pytest.fail(f"JS error: {exc}"))
        await login(page, user)
        return context, page

    # Staff set up the team from the teams page, naming the leader by phone.
    ctx, page = await phone_as(staff)
    await page.goto("/teams")
    await page.fill("#t-name", "红色理发队")
    await page.select_option("#t-kind", "vanguard")
    await page.fill("#t-leader", leader.phone)
    await page.fill("#t-skills", "理发、维修")
    await page.click("#team-form button[type=submit]")
    await expect(page.locator("a[data-team]").first).to_contain_text("红色理发队")
    href = await page.locator("a[data-team]").first.get_attribute("href")
    await ctx.close()

    ctx, page = await phone_as(resident)
    await page.goto(href)
    await axe_check(page)
    await page.get_by_role("button", name="申请加入").click()
    await expect(page.get_by_text("已申请加入，等待队长审核")).to_be_visible()
    await ctx.close()

    ctx, page = await phone_as(leader)
    await page.goto(href)
    await page.locator(f"[data-member='{resident.id}']").get_by_role("button", name="通过").click()
    await expect(page.locator(f"[data-member='{resident.id}'] .app-tag")).to_have_text("队员")
    # The leader writes a promise on their card.
    await page.goto("/card")
    await page.fill("#commitments", "每周六上午义务理发")
    await page.click("#promises button[type=submit]")
    await expect(page.locator("#card")).to_contain_text("每周六上午义务理发")
    # The QR is a file of its own (an <img>), so it shows and prints.
    # (waited for: the card is re-rendered after the save and its image loads a moment later)
    await page.wait_for_function(
        "() => { const img = document.querySelector('#card img'); return img && img.complete && img.naturalWidth > 0 }"
    )
    preview = await page.get_by_role("link", name="预览居民看到的页面").get_attribute("href")
    await ctx.close()

    ctx, page = await phone_as(resident)
    await page.goto(preview)
    await axe_check(page)
    await expect(page.locator("#commitments")).to_contain_text("每周六上午义务理发")
    await page.fill("#h-title", "请帮忙理发")
    await page.fill("#h-desc", "腿脚不便，想请上门")
    await page.click("#help-form button[type=submit]")
    await page.wait_for_url("**/wishes/*")
    await expect(page.locator("body")).to_contain_text("请帮忙理发")
    await ctx.close()


async def test_staff_dispatch_to_team_and_confirm_for_the_resident(browser, server, page_db, login):
    import httpx

    from tests.factories import auth

    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
        leader = await make_user(s, name="王队长", home=tree.compound)
    async with httpx.AsyncClient(base_url=server + "/api/v1") as api:
        team = (
            await api.post(
                "/teams",
                json={
                    "name": "幸福志愿服务队",
                    "kind": "volunteer",
                    "org_id": tree.compound.id,
                    "leader_id": leader.id,
                },
                headers=auth(staff),
            )
        ).json()
        wish = (
            await api.post(
                "/wishes",
                json={
                    "title": "帮老人换灯泡",
                    "category": "助老",
                    "org_id": tree.compound.id,
                    "on_behalf_of_phone": "13966660001",
                },
                headers=auth(staff),
            )
        ).json()

    context = await browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, locale="zh-CN", base_url=server
    )
    page = await context.new_page()
    page.on("pageerror", lambda exc: pytest.fail(f"JS error: {exc}"))
    await login(page, staff)
    await page.goto(f"/wishes/{wish['id']}")
    await page.select_option("#assign_team_id", str(team["id"]))
    await page.get_by_role("button", name="通过并发布").click()
    await expect(page.locator("#wish-status")).to_have_text("待认领")

    async with httpx.AsyncClient(base_url=server + "/api/v1") as api:
        assert (await api.post(f"/wishes/{wish['id']}/claim", headers=auth(leader))).status_code == 200
        done = await api.post(
            f"/wishes/{wish['id']}/done", json={"note": "换好了", "minutes_spent": 20}, headers=auth(leader)
        )
        assert done.status_code == 200, done.text

    await page.goto(f"/wishes/{wish['id']}")
    await expect(page.get_by_text("代居民确认（记录居民口述的评价）")).to_be_visible()
    await page.fill("#comment", "老人说谢谢")
    await page.get_by_role("button", name="确认并评价").click()
    await expect(page.locator("#wish-status")).to_have_text("已确认")
    await expect(page.locator("#rating")).to_contain_text("老人说谢谢")
    await context.close()


async def test_station_master_logs_a_service_with_a_tap(browser, server, page_db, login):
    from app.models.stations import Station

    async with page_db.session() as s:
        tree = await make_tree(s)
        master = await make_user(s, name="孙站长")
        station = Station(
            org_id=tree.compound.id,
            name="锦绣驿站",
            lat=34.29,
            lng=119.24,
            services=["理发"],
            master_id=master.id,
        )
        s.add(station)
        await s.commit()
    context = await browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, locale="zh-CN", base_url=server
    )
    page = await context.new_page()
    page.on("pageerror", lambda exc: pytest.fail(f"JS error: {exc}"))
    await login(page, master)
    await page.goto(f"/stations/{station.id}")
    await page.get_by_text("服务登记（调解、理发、骑手歇脚……）").click()
    await page.locator("button[data-fill]", has_text="理发").click()
    await page.fill("#s-count", "3")
    await page.click("#service-form button[type=submit]")
    await expect(page.locator("#totals")).to_contain_text("理发 3 人次")
    await context.close()
