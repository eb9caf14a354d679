"""The profile page in a real browser: home and birth year are set once, a phone change moves the account."""

import re

import pytest
from playwright.async_api import expect

from tests.factories import make_tree, make_user, next_phone

pytestmark = pytest.mark.browser


async def test_home_is_locked_once_set_and_birth_year_is_set_once(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="李大爷", home=tree.compound)
    await login(page, user)
    await page.goto("/me")
    await expect(page.get_by_label("所在小区")).to_be_disabled()
    await expect(page.locator("#locked-tip")).to_contain_text("联系社区工作人员")
    year = page.get_by_label("出生年份")
    await expect(year).to_be_enabled()
    await year.fill("1950")
    await page.get_by_role("button", name="保存").tap()
    await expect(page.locator("#toast")).to_have_text("已保存")
    await page.reload()
    await expect(page.get_by_label("出生年份")).to_be_disabled()
    await expect(page.get_by_label("出生年份")).to_have_value("1950")


async def test_a_resident_changes_their_phone_and_signs_in_with_it(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="王阿姨", home=tree.compound)
    await login(page, user)
    await page.goto("/me")
    new_phone = next_phone()
    await page.get_by_label("新手机号").fill(new_phone)
    await page.locator("#new-phone-code").tap()
    await expect(page.locator("#toast")).to_have_text("验证码已发送")
    await expect(page.locator("#new-phone-otp")).to_have_value(re.compile(r"^\d{6}$"))
    await page.get_by_role("button", name="确认更换").tap()
    await expect(page.locator("#toast")).to_have_text("手机号已更换")
    await expect(page.locator(".app-profile__meta")).to_contain_text(f"{new_phone[:3]}****{new_phone[-4:]}")


async def test_a_newcomer_is_welcomed_once_with_name_compound_and_larger_text(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        phone = next_phone()
        newcomer = await make_user(s, name=f"用户{phone[-4:]}", phone=phone)
    await login(page, newcomer)
    await page.goto("/")
    welcome = page.locator("#welcome-form")
    await expect(welcome).to_be_visible()
    await page.get_by_label("怎么称呼您").fill("周阿姨")
    await page.get_by_label("所在小区").select_option(label=tree.compound.name)
    await page.get_by_label("字大一些（长辈版）").tap()
    await page.get_by_role("button", name="开始使用").tap()
    await expect(page.locator("#toast")).to_have_text("欢迎，周阿姨")
    await expect(page.locator(".app-hero__sub")).to_have_text(tree.compound.name)
    await expect(page.locator("#welcome-form")).to_have_count(0)
    await expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    await expect(
        page.get_by_role("navigation", name="常用功能").get_by_role("link", name="时间银行")
    ).to_be_visible()


async def test_staff_find_the_console_on_home(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="刘书记", home=tree.compound, role=(tree.community, "staff"))
    await login(page, staff)
    await page.goto("/")
    await page.get_by_role("navigation", name="常用功能").get_by_role("link", name="工作台").tap()
    await expect(page).to_have_url(re.compile(r"/admin$"))
