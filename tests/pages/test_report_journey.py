"""A party member reports to the branch in a real browser at 375 px; staff approve, set up a post and
rate; the member claims the post and logs work; the employer unit's admin sees and prints the form."""

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


async def test_member_reports_staff_approve_post_claim_and_unit_sees_feedback(
    page, page_db, login, axe_check
):
    async with page_db.session() as s:
        tree = await make_tree(s)
        member = await make_user(s, name="冯医生", home=tree.compound, party="in_service")
        staff = await make_user(s, name="李主任", home=tree.compound, role=(tree.community, "admin"))
        unit_admin = await make_user(s, name="刘院长", role=(tree.unit, "admin"))

    # The member reports to the branch where they live.
    await login(page, member)
    await page.goto("/report")
    await expect(page.get_by_role("heading", level=1)).to_have_text("在职党员报到")
    await page.get_by_label("工作单位").select_option(label="县医院")
    await expect(page.get_by_label("报到社区")).to_have_value(str(tree.compound.id))
    await page.get_by_label("个人特长").fill("义诊、健康咨询")
    await page.get_by_label("服务时间").fill("周末")
    await _fits(page)
    await axe_check(page)
    await page.get_by_role("button", name="提交报到").tap()
    await expect(page.locator("#toast")).to_have_text("已提交报到，等待社区审核")
    await expect(page.locator("#current-report")).to_contain_text("待审核")
    await expect(page.locator("#current-report")).to_contain_text("幸福里小区")

    # The community approves, sets up a post and rates the member.
    await login(page, staff)
    await page.goto("/admin/reports")
    card = page.locator("[data-report]").filter(has_text="冯医生")
    await expect(card).to_contain_text("义诊、健康咨询")
    await card.get_by_role("button", name="通过", exact=True).tap()
    await expect(page.locator("#toast")).to_have_text("已通过")
    await expect(page.locator(f"[data-member='{member.id}']")).to_contain_text("未评定")
    await page.get_by_label("设岗组织").select_option(label="幸福里小区")
    await page.get_by_label("岗位名称").fill("文明劝导员")
    await page.get_by_label("岗位职责").fill("劝导乱停车、乱扔垃圾")
    await page.get_by_label("名额").fill("2")
    await page.get_by_role("button", name="设立岗位").tap()
    await expect(page.locator("#toast")).to_have_text("岗位已设立")
    await expect(page.get_by_text("0/2")).to_be_visible()
    rate = page.locator(f"[data-member='{member.id}']")
    await rate.get_by_label("评定等级").select_option(label="优秀")
    await rate.get_by_label("社区评语").fill("积极参加文明劝导")
    await rate.get_by_role("button", name="保存评定").tap()
    await expect(page.locator("#toast")).to_have_text("已保存评定")
    await expect(rate.locator(".app-tag")).to_have_text("优秀")
    await _fits(page)
    await page.screenshot(path=str(SHOTS / "admin-reports.png"), full_page=True)
    await axe_check(page)

    # The member claims the post and logs what they did; the record card counts it.
    await login(page, member)
    await page.goto("/report")
    await expect(page.locator("#current-report")).to_contain_text("已报到")
    await page.get_by_role("button", name="认领岗位").tap()
    await expect(page.locator("#toast")).to_have_text("认领成功")
    await page.get_by_label("做了什么").fill("劝导乱停车 5 起")
    await page.get_by_label("用时（分钟）").fill("90")
    await page.get_by_role("button", name="记录").tap()
    await expect(page.locator("#toast")).to_have_text("已记录")
    await expect(page.locator("#record-minutes")).to_contain_text(
        "岗位履职（自报，不计入时间银行） 1小时30分"
    )
    await expect(page.get_by_text("劝导乱停车 5 起")).to_be_visible()
    await expect(page.get_by_text("积极参加文明劝导")).to_be_visible()
    await _fits(page)
    await page.screenshot(path=str(SHOTS / "report.png"), full_page=True)
    await axe_check(page)

    # The employer unit's admin sees the form and prints one page per member.
    await login(page, unit_admin)
    await page.goto("/admin/reports")
    await expect(page.locator("#unit-forms")).to_contain_text("冯医生")
    await expect(page.locator("#unit-forms")).to_contain_text("优秀")
    await page.locator("#unit-forms").get_by_role("link").first.tap()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("冯医生")
    await expect(page.locator("#record-minutes")).to_contain_text(
        "岗位履职（自报，不计入时间银行） 1小时30分"
    )
    await expect(page.get_by_text("劝导乱停车 5 起")).to_be_visible()
    await _fits(page)
    await axe_check(page)
    await page.go_back()
    await page.get_by_role("link", name="打印反馈表").tap()
    await expect(page).to_have_url(re.compile(rf"/admin/reports/units/{tree.unit.id}/print"))
    forms = page.locator("section.pf-form")
    await expect(forms).to_have_count(1)
    await expect(forms.first).to_contain_text("☑ 优秀")
    await expect(forms.first).to_contain_text("文明劝导员")
    await page.screenshot(path=str(SHOTS / "print.png"), full_page=True)


async def test_resident_is_told_how_to_report_and_cannot_open_a_members_card(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        resident = await make_user(s, home=tree.compound)
        member = await make_user(s, name="冯医生", home=tree.compound, party="in_service")
    await login(page, resident)
    await page.goto("/report")
    await expect(page.locator(".app-notice")).to_contain_text("只有党员可以到社区报到")
    await expect(page.get_by_role("button", name="提交报到")).to_have_count(0)
    response = await page.goto(f"/admin/reports/members/{member.id}")  # someone else's record card
    assert response.status == 404


async def test_community_admin_records_cobuilding_and_unit_admin_sees_it(page, page_db, login, axe_check):
    from app.models.org import UnitCommunity

    async with page_db.session() as s:
        tree = await make_tree(s)
        s.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
        await s.commit()
        community_admin = await make_user(s, name="李主任", role=(tree.community, "admin"))
        unit_admin = await make_user(s, name="刘院长", role=(tree.unit, "admin"))

    await login(page, community_admin)
    await page.goto("/admin/reports")
    card = page.locator(f"[data-unit='{tree.unit.id}']")
    await expect(card).to_contain_text("未考核")
    await card.get_by_text("录入共建协议").tap()
    await card.get_by_label("签订日期").fill("2026-03-01")
    await card.get_by_label("期限（月）").fill("24")
    await card.get_by_label("共建承诺（每行一条）").fill("每月义诊一次\n结对帮扶困难户 5 户")
    await card.get_by_role("button", name="保存协议").tap()
    await expect(page.locator("#toast")).to_have_text("协议已录入")
    await expect(card).to_contain_text("至 2028-02-29")
    await card.get_by_text("年度考核赋分").tap()
    await card.get_by_label("得分（0–100）").fill("92")
    await card.get_by_label("赋分理由").fill("义诊按月开展")
    await card.get_by_role("button", name="保存考核").tap()
    await expect(page.locator("#toast")).to_have_text("考核已保存")
    await expect(card.locator(".app-tag")).to_have_text("92 分")
    await _fits(page)
    await axe_check(page)

    await login(page, unit_admin)
    await page.goto("/admin/reports")
    await expect(page.get_by_text("结对帮扶困难户 5 户")).to_be_visible()
    await expect(page.get_by_text("92 分")).to_be_visible()
