"""To-dos in a real browser at 375 px: the red dot, the "待您处理" card, confirming from home, the
message page grouped by day, and the counts on the staff console."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.factories import auth, make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/pages-shots")
SHOTS.mkdir(exist_ok=True)


async def _done_wish(server, poster, staff, volunteer, title="帮忙取药") -> int:
    async with httpx.AsyncClient(base_url=server + "/api/v1") as api:
        wish = (
            await api.post("/wishes", json={"title": title, "category": "生活服务"}, headers=auth(poster))
        ).json()
        url = f"/wishes/{wish['id']}"
        assert (
            await api.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
        ).status_code == 200
        assert (await api.post(f"{url}/claim", headers=auth(volunteer))).status_code == 200
        done = await api.post(
            f"{url}/done", json={"note": "药已送到", "minutes_spent": 30}, headers=auth(volunteer)
        )
        assert done.status_code == 200
    return wish["id"]


async def test_resident_sees_the_red_dot_and_confirms_from_home(page, page_db, login, server, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
        volunteer = await make_user(s, name="蒋志愿者", home=tree.compound)
    wish_id = await _done_wish(server, resident, staff, volunteer)

    await login(page, resident)
    await page.goto("/")
    # published, claimed, done: three unread messages on 我的; one wish to confirm on 心愿.
    await expect(page.locator("[data-badge=me]")).to_have_text("3")
    await expect(page.locator("[data-badge=wishes]")).to_have_text("1")
    card = page.locator("[data-todo=confirm_wish]")
    await expect(card).to_contain_text("请确认：帮忙取药")
    await expect(page.locator(".app-todos")).to_be_visible()
    first = await page.locator("main > *").nth(1).get_attribute("class")
    assert "app-todos" in first  # the card comes right after the header, before the wish wall
    await page.screenshot(path=str(SHOTS / "home-todo.png"), full_page=True)
    await axe_check(page)

    await card.get_by_role("button", name="确认完成").tap()
    await expect(page.locator("#toast")).to_have_text("请先点星星打分")
    await card.locator("label[for$=star-4]").tap()
    await card.get_by_role("button", name="确认完成").tap()
    await expect(page.locator("#toast")).to_have_text("已确认，感谢您的评价")
    await expect(page.locator("[data-todo=confirm_wish]")).to_have_count(0)
    await expect(page.locator("[data-badge=wishes]")).to_have_count(0)
    resp = await page.request.get(f"/api/v1/wishes/{wish_id}")
    assert (await resp.json())["status"] == "confirmed"


async def test_messages_grouped_by_day_open_and_mark_read(page, page_db, login, server, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
        volunteer = await make_user(s, name="蒋志愿者", home=tree.compound)
    wish_id = await _done_wish(server, resident, staff, volunteer)
    await login(page, resident)
    await page.goto("/me")
    await page.get_by_role("link", name=re.compile("消息通知")).tap()
    await expect(page).to_have_url(re.compile(r"/notifications$"))
    await expect(page.get_by_role("heading", level=2)).to_have_text(
        [re.compile(r"^今天 周[一二三四五六日]$")]
    )
    await expect(page.locator(".app-note--unread")).to_have_count(3)
    await page.screenshot(path=str(SHOTS / "notifications.png"), full_page=True)
    await axe_check(page)
    await page.locator(".app-note").first.tap()
    await expect(page).to_have_url(re.compile(rf"/wishes/{wish_id}$"))
    await expect(page.locator("[data-badge=me]")).to_have_text("2")
    await page.goto("/notifications")
    await page.get_by_role("button", name="全部标为已读").tap()
    await expect(page.locator(".app-note--unread")).to_have_count(0)
    await expect(page.locator("[data-badge=me]")).to_have_count(0)


async def test_staff_see_their_queues_counted_on_home_and_console(page, page_db, login, server):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
    async with httpx.AsyncClient(base_url=server + "/api/v1") as api:
        for title in ("帮忙取药", "修水龙头"):
            resp = await api.post(
                "/wishes", json={"title": title, "category": "生活服务"}, headers=auth(resident)
            )
            assert resp.status_code == 201
    await login(page, staff)
    await page.goto("/")
    await expect(page.locator("[data-todo=wish_review]")).to_contain_text("心愿待审核 2 件")
    await page.goto("/admin")
    await expect(page.locator('[data-pending="/admin/wishes"]')).to_have_text("2")
    await page.screenshot(path=str(SHOTS / "admin-counts.png"), full_page=True)


async def test_push_settings_switch_from_me(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
    await login(page, resident)
    await page.goto("/me")
    await page.get_by_label("短信提醒（未绑定微信时）").tap()
    await expect(page.locator("#toast")).to_have_text("提醒设置已保存")
    resp = await page.request.get("/api/v1/notifications/settings")
    assert (await resp.json())["sms"] is False
    await page.reload()
    await expect(page.get_by_label("短信提醒（未绑定微信时）")).not_to_be_checked()
