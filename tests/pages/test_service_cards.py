"""Where the alliance sends quarterly service cards to employers, staff fill them on /admin/reports."""

import pytest
from playwright.async_api import expect
from sqlmodel import select

from app import clock
from app.models.feedback import MemberFeedback, MemberSettings
from app.models.member_reports import MemberReport
from app.services import member_reports
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def _approved_member(page_db, *, cards: bool):
    async with page_db.session() as s:
        tree = await make_tree(s)
        member = await make_user(s, name="冯医生", home=tree.compound, party="in_service")
        staff = await make_user(s, name="李主任", role=(tree.community, "admin"))
        year = member_reports.this_year()
        s.add(
            MemberReport(
                user_id=member.id,
                org_id=tree.compound.id,
                employer_unit_id=tree.unit.id,
                year=year,
                period=str(year),
                status="approved",
                active=1,
                reviewed_at=clock.now(),
            )
        )
        s.add(MemberSettings(alliance_id=tree.alliance.id, quarterly_service_cards=cards))
        await s.commit()
    return member, staff


async def test_staff_fill_a_quarterly_service_card(page, page_db, login):
    member, staff = await _approved_member(page_db, cards=True)
    await login(page, staff)
    await page.goto("/admin/reports")
    card = page.locator("[data-member]").filter(has_text="冯医生")
    await card.get_by_label("季度服务卡").select_option("2")
    await card.get_by_label("本季表现").select_option("excellent")
    await card.get_by_label("服务情况").fill("每周义诊一次，群众反映很好")
    await card.get_by_role("button", name="保存服务卡").tap()
    await expect(page.locator("#toast")).to_have_text("季度服务卡已保存")
    async with page_db.session(write=False) as s:
        row = (await s.exec(select(MemberFeedback).where(MemberFeedback.user_id == member.id))).one()
        assert (row.kind, row.period[-2:], row.rating, row.comment) == (
            "quarterly",
            "Q2",
            "excellent",
            "每周义诊一次，群众反映很好",
        )


async def test_no_service_card_form_where_the_alliance_has_none(page, page_db, login):
    _member, staff = await _approved_member(page_db, cards=False)
    await login(page, staff)
    await page.goto("/admin/reports")
    await expect(page.locator("[data-member]").filter(has_text="冯医生")).to_be_visible()
    assert await page.get_by_label("季度服务卡").count() == 0
