"""Risky acts ask in a WeUI dialog (never the browser's confirm or prompt), and a write says 提交中… (issue 14, items 10–11)."""

from datetime import timedelta

import pytest
from playwright.async_api import expect
from sqlmodel import select

from app import clock
from app.models.activities import Activity, ActivitySignup
from tests.factories import make_activity, make_tree, make_user

pytestmark = pytest.mark.browser


async def test_cancelling_a_sign_up_asks_first_and_再想想_keeps_it(page, page_db, login):
    native: list[str] = []
    page.on("dialog", lambda d: native.append(d.message))
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="赵阿姨", home=tree.compound)
        act = await make_activity(s, org=tree.compound, title="包饺子", starts_in=timedelta(days=1))
    await login(page, user)
    await page.goto(f"/activities/{act.id}")
    await page.get_by_role("button", name="我要报名").tap()
    cancel = page.get_by_role("button", name="取消报名")
    await expect(cancel).to_be_visible()
    await cancel.tap()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("确定取消报名吗？")
    await dialog.get_by_role("button", name="再想想").tap()
    await expect(dialog).to_have_count(0)
    async with page_db.session(write=False) as s:
        assert (await s.exec(select(ActivitySignup.status))).one() == "signed_up"
    await cancel.tap()
    await page.get_by_role("dialog").get_by_role("button", name="取消报名").tap()
    await expect(page.locator("#toast")).to_have_text("已取消")
    async with page_db.session(write=False) as s:
        assert (await s.exec(select(ActivitySignup.status))).one() == "cancelled"
    assert native == []


async def test_a_submit_button_says_提交中_while_its_write_is_in_flight(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="孙大爷", home=tree.compound)
    await login(page, user)
    await page.goto("/me")

    async def slow(route):
        await page.wait_for_timeout(600)
        await route.continue_()

    await page.route("**/api/v1/me", slow)
    save = page.get_by_role("button", name="保存")
    await save.tap()
    busy = page.locator("#profile-form button[type=submit]")
    await expect(busy).to_have_text("提交中…")
    await expect(busy).to_be_disabled()
    await expect(page.locator("#toast")).to_have_text("已保存")
    await expect(busy).to_have_text("保存")
    await expect(busy).to_be_enabled()


async def test_a_photo_too_big_for_the_server_is_shrunk_on_the_phone_and_goes_up(
    page, page_db, login, tmp_path
):
    import os

    from PIL import Image

    from app.models.wishes import Wish

    big = tmp_path / "big.png"
    Image.frombytes("RGB", (3000, 2000), os.urandom(3000 * 2000 * 3)).save(big)
    assert big.stat().st_size > 5 * 1024 * 1024  # the server alone would refuse it (413)
    async with page_db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, name="钱阿姨", home=tree.compound)
    await login(page, user)
    sizes: list[int] = []
    page.on(
        "request",
        lambda r: sizes.append(len(r.post_data_buffer or b"")) if r.url.endswith("/photos") else None,
    )
    await page.goto("/wishes/new")
    await page.get_by_role("button", name="助老").tap()
    await page.get_by_label("心愿").fill("帮忙换灯泡")
    await page.locator("#photo").set_input_files(str(big))
    await page.get_by_role("button", name="提交心愿").tap()
    await expect(page.locator("#toast")).to_have_text("已提交，等待社区审核")
    async with page_db.session(write=False) as s:
        wish = (await s.exec(select(Wish))).one()
        assert len(wish.photos) == 1
    assert sizes and max(sizes) < 5 * 1024 * 1024


async def _closable(page_db):
    """An activity that began an hour ago, its organiser, and a volunteer who signed in."""
    from app.services import activity_attendance

    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="周书记", role=(tree.community, "staff"))
        volunteer = await make_user(s, name="吴阿姨", home=tree.compound)
        act = await make_activity(
            s,
            org=tree.compound,
            title="义务理发",
            starts_in=-timedelta(hours=1),
            credit_minutes=60,
            signup_required=False,
        )
        attendance, _, _ = await activity_attendance.attend(
            s, activity=act, user=volunteer, method="phone", acted_by_id=staff.id
        )
        attendance.signed_in_at = act.starts_at  # came at the start: an hour to credit
        s.add(attendance)
        await s.commit()
    return staff, volunteer, act


async def test_an_organiser_closes_an_activity_and_undoes_the_close(page, page_db, login):
    from app.models.timebank import LedgerAccount, LedgerTxn

    native: list[str] = []
    page.on("dialog", lambda d: native.append(d.message))
    staff, volunteer, act = await _closable(page_db)
    await login(page, staff)
    await page.goto(f"/activities/{act.id}")
    await page.get_by_role("button", name="结束活动并记入时间银行").tap()
    await page.get_by_role("dialog").get_by_role("button", name="结束活动").tap()
    undo = page.get_by_role("button", name="撤销结束（10分钟内）")
    await expect(undo).to_be_visible(timeout=10000)  # after the page reloads
    async with page_db.session(write=False) as s:
        account = (await s.exec(select(LedgerAccount).where(LedgerAccount.user_id == volunteer.id))).one()
        assert account.balance_minutes == 60
    await undo.tap()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("收回")
    await dialog.get_by_role("button", name="撤销结束").tap()
    await expect(page.locator("#toast")).to_have_text("已撤销结束，活动恢复进行中")
    await expect(page.get_by_role("button", name="结束活动并记入时间银行")).to_be_visible(timeout=10000)
    await expect(undo).to_have_count(0)
    async with page_db.session(write=False) as s:
        assert (await s.get(Activity, act.id)).closed_at is None
        account = (await s.exec(select(LedgerAccount).where(LedgerAccount.user_id == volunteer.id))).one()
        assert account.balance_minutes == 0
        kinds = (await s.exec(select(LedgerTxn.kind).order_by(LedgerTxn.id))).all()
        assert kinds == ["earn", "reversal"]
    assert native == []


async def test_the_undo_button_goes_away_when_the_window_passes(page, page_db, login):
    from sqlalchemy import update

    staff, volunteer, act = await _closable(page_db)
    async with page_db.session() as s:  # closed 9 minutes 57 seconds ago
        await s.exec(
            update(Activity)
            .where(Activity.id == act.id)
            .values(closed_at=clock.now() - timedelta(minutes=9, seconds=57))
        )
        await s.commit()
    await login(page, staff)
    await page.goto(f"/activities/{act.id}")
    undo = page.get_by_role("button", name="撤销结束（10分钟内）")
    await expect(undo).to_be_visible()
    await expect(undo).to_be_hidden(timeout=8000)
