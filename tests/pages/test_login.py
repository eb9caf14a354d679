"""The login journey in a real browser at 375 px: redirect, SMS code, landing, large-text mode, logout."""

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.factories import make_tree, make_user, next_phone

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ejia-found-shots")
SHOTS.mkdir(exist_ok=True)


async def test_protected_page_redirects_to_login_then_back_after_sms_login(page):
    await page.goto("/me")
    await expect(page).to_have_url(re.compile(r"/login\?next=/me$"))
    phone = next_phone()
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_role("button", name="获取验证码").tap()
    hint = page.locator("#login-hint")
    await expect(hint).to_contain_text("测试环境验证码")
    code = re.search(r"(\d{6})", await hint.inner_text()).group(1)
    await expect(page.get_by_role("button", name=re.compile(r"\d+秒后重发"))).to_be_disabled()
    await page.get_by_label("验证码").fill(code)
    await page.get_by_role("button", name="登录", exact=True).tap()
    await expect(page).to_have_url(re.compile(r"/me$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"用户{phone[-4:]}")
    await expect(page.locator(".app-profile__meta")).to_contain_text(f"{phone[:3]}****{phone[-4:]}")


async def test_wrong_code_shows_chinese_message_and_stays(page):
    await page.goto("/login")
    await page.get_by_label("手机号").fill(next_phone())
    await page.get_by_role("button", name="获取验证码").tap()
    await expect(page.locator("#login-hint")).to_contain_text("测试环境验证码")
    await page.get_by_label("验证码").fill(
        "000000" if "000000" not in await page.locator("#login-hint").inner_text() else "111111"
    )
    await page.get_by_role("button", name="登录", exact=True).tap()
    await expect(page.locator("#login-hint")).to_have_text("验证码错误或已过期，请重新获取")
    await expect(page).to_have_url(re.compile(r"/login$"))


async def test_malformed_phone_is_refused_before_sending(page):
    await page.goto("/login")
    await page.get_by_label("手机号").fill("12345")
    await page.get_by_role("button", name="获取验证码").tap()
    await expect(page.locator("#login-hint")).to_have_text("请输入正确的11位手机号")


async def test_large_text_mode_applies_and_persists_then_logout(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="张阿姨", home=tree.compound)
    await login(page, user)
    await page.goto("/me")
    html = page.locator("html")
    await expect(html).not_to_have_class(re.compile(r"\belderly\b"))
    await page.get_by_label("大字版（适老化）").tap()
    await expect(html).to_have_class(re.compile(r"\belderly\b"))
    await expect(page.locator("#toast")).to_have_text("已切换为大字版")
    await page.reload()
    await expect(html).to_have_class(re.compile(r"\belderly\b"))
    await expect(page.get_by_label("大字版（适老化）")).to_be_checked()
    await page.screenshot(path=str(SHOTS / "me-elderly.png"), full_page=True)

    await page.get_by_role("button", name="退出登录").tap()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/me")
    await expect(page).to_have_url(re.compile(r"/login\?next=/me$"))


async def test_login_and_me_pages_have_no_serious_accessibility_violations(page, page_db, login, axe_check):
    await page.goto("/login")
    await page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
    await axe_check(page)
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(
            s, name="李主任", home=tree.compound, party="in_service", role=(tree.community, "admin")
        )
    await login(page, user)
    await page.goto("/me")
    await page.screenshot(path=str(SHOTS / "me.png"), full_page=True)
    await axe_check(page)


async def test_pages_fit_375px_without_horizontal_scroll(page, page_db, login):
    async with page_db.session() as s:
        user = await make_user(s)
    for path in ("/login", "/me"):
        if path == "/me":
            await login(page, user)
        await page.goto(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width == 375, path


async def test_profile_edit_saves_and_survives_reload(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="用户0001")
    await login(page, user)
    await page.goto("/me")
    await page.get_by_label("姓名").fill("吴奶奶")
    await page.get_by_label("所在小区").select_option(label="幸福里小区")
    await expect(page.get_by_label("党员类型")).to_be_hidden()
    await page.get_by_label("我是党员").check()
    await page.get_by_label("党员类型").select_option(label="离退休党员")
    await page.get_by_label("个人特长").fill("理发、 水电维修")
    await page.get_by_role("button", name="保存").tap()
    await expect(page.locator("#toast")).to_have_text("已保存")
    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text("吴奶奶")
    await expect(page.get_by_label("所在小区")).to_have_value(str(tree.compound.id))
    await expect(page.get_by_label("我是党员")).to_be_checked()
    await expect(page.get_by_label("党员类型")).to_have_value("retired")
    await expect(page.get_by_label("个人特长")).to_have_value("理发、水电维修")


async def test_typed_name_survives_a_reload_before_saving(page, page_db, login):
    async with page_db.session() as s:
        user = await make_user(s, name="张阿姨")
    await login(page, user)
    await page.goto("/me")
    await page.get_by_label("姓名").fill("")
    await page.get_by_label("姓名").press_sequentially("张桂兰")
    await page.reload()
    await expect(page.get_by_label("姓名")).to_have_value("张桂兰")


@pytest.mark.parametrize("smuggled", ["/\t/evil.example", "//evil.example/", "https://evil.example/"])
async def test_login_script_never_leaves_the_site_whatever_the_next(page, smuggled):
    """The page's own rule, as in app.security.safe_next: a tampered data-next still lands on our home."""
    await page.goto("/login")
    await page.locator("#login-form").evaluate("(f, next) => { f.dataset.next = next; }", smuggled)
    await page.get_by_label("手机号").fill(next_phone())
    await page.get_by_role("button", name="获取验证码").tap()
    hint = page.locator("#login-hint")
    await expect(hint).to_contain_text("测试环境验证码")
    await page.get_by_label("验证码").fill(re.search(r"(\d{6})", await hint.inner_text()).group(1))
    await page.get_by_role("button", name="登录", exact=True).tap()
    await page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
