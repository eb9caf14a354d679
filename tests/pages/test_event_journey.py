"""A grid event in a real browser at 375 px: a resident reports it (the draft survives a dropped network),
staff dispatch it, the handler unit handles it, a failed check sends it back, and the resident closes it."""

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ejia-mem-shots")
SHOTS.mkdir(exist_ok=True)


async def _fits(page):
    assert await page.evaluate("document.documentElement.scrollWidth") == 375


async def test_event_from_report_to_feedback_with_a_failed_check(page, page_db, login, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        staff = await make_user(s, name="赵网格员", role=(tree.compound, "staff"))
        handler = await make_user(s, name="医院后勤", role=(tree.unit, "staff"))

    # The resident reports; the network drops on the first try and nothing typed is lost.
    await login(page, resident)
    await page.goto("/events/new")
    await page.get_by_label("问题类别").select_option("环境卫生")
    await page.get_by_label("什么问题").fill("3 号楼楼道堆满杂物，有消防隐患")
    await page.get_by_label("具体位置").fill("3 号楼 2 单元")
    await expect(page.get_by_label("所在小区")).to_have_value(str(tree.compound.id))
    await _fits(page)
    await axe_check(page)
    await page.context.set_offline(True)
    await page.get_by_role("button", name="提交").tap()
    await expect(page.locator("#toast")).to_contain_text("网络不太好")
    await page.context.set_offline(False)
    await page.reload()
    await expect(page.get_by_label("什么问题")).to_have_value("3 号楼楼道堆满杂物，有消防隐患")
    await expect(page.get_by_label("问题类别")).to_have_value("环境卫生")
    await page.get_by_role("button", name="提交").tap()
    await expect(page).to_have_url(re.compile(r"/events/\d+$"))
    event_url = page.url
    await expect(page.locator("#event-status")).to_contain_text("已上报")

    # Staff dispatch it to the unit with a due date.
    await login(page, staff)
    await page.goto(event_url)
    await expect(page.locator("#event")).to_contain_text("张阿姨")
    await page.get_by_label("处置单位").select_option(label="县医院")
    await page.get_by_label("处置期限").fill("2099-12-31T18:00")
    await page.get_by_role("button", name="分派").tap()
    await expect(page.locator("#event-status")).to_contain_text("处置中")

    # The handler finds it in its queue and reports back.
    await login(page, handler)
    await page.goto("/admin/events")
    await page.locator("#queue-handle").get_by_role("link").first.tap()
    await page.get_by_label("处置情况").fill("已清理大部分杂物")
    await page.get_by_role("button", name="提交处置结果").tap()
    await expect(page.locator("#event-status")).to_contain_text("已处置")

    # Staff check: not good enough, back to the handler.
    await login(page, staff)
    await page.goto(event_url)
    await page.get_by_text("未通过，退回").tap()
    await page.get_by_label("督查意见").fill("楼道仍有纸箱")
    await page.get_by_role("button", name="提交督查结果").tap()
    await expect(page.locator("#event-status")).to_contain_text("处置中")

    await login(page, handler)
    await page.goto(event_url)
    await page.get_by_label("处置情况").fill("纸箱已全部清走")
    await page.get_by_role("button", name="提交处置结果").tap()
    await expect(page.locator("#event-status")).to_contain_text("已处置")

    await login(page, staff)
    await page.goto(event_url)
    await page.get_by_role("button", name="提交督查结果").tap()
    await expect(page.locator("#event-status")).to_contain_text("已督查")

    # The resident says they are satisfied; the event is closed and its history tells the story.
    await login(page, resident)
    await page.goto(event_url)
    await expect(page.locator(".ev-body").filter(has_text="纸箱已全部清走")).to_be_visible()
    await page.get_by_label("说两句").fill("很快就处理了，谢谢")
    await page.get_by_role("button", name="提交评价").tap()
    await expect(page.locator("#event-status")).to_contain_text("已办结")
    steps = page.locator("#event-history li strong")
    await expect(steps).to_have_text(
        ["上报", "分派", "处置完毕", "督查未通过，退回处置", "处置完毕", "督查通过", "反馈评价"]
    )
    await _fits(page)
    await page.screenshot(path=str(SHOTS / "event.png"), full_page=True)
    await axe_check(page)


async def test_stranger_cannot_open_someone_elses_event(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, home=tree.compound)
        stranger = await make_user(s, home=tree.other_compound)
    await login(page, resident)
    await page.goto("/events/new")
    await page.get_by_label("问题类别").select_option("意见箱")
    await page.get_by_label("什么问题").fill("建议增设健身器材")
    await page.get_by_role("button", name="提交").tap()
    await expect(page).to_have_url(re.compile(r"/events/\d+$"))
    url = page.url
    await login(page, stranger)
    response = await page.goto(url)
    assert response.status == 404
