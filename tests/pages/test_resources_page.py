"""A member unit publishes and withdraws a service resource from its phone."""

import pytest
from sqlmodel import select

from app.models.resources import UnitResource
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def test_unit_staff_publishes_then_withdraws_a_resource(page, page_db, login, axe_check):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="刘院长", role=(tree.unit, "admin"))
    await login(page, staff)
    await page.goto("/admin/resources")
    await axe_check(page)
    await page.fill("#title", "每月义诊")
    await page.select_option("#category", "医疗健康")
    await page.fill("#description", "每月第一个周六上午，量血压、测血糖")
    await page.fill("#contact_name", "刘院长")
    await page.fill("#contact_phone", "13912340000")
    await page.click("#resource-form button[type=submit]")
    await page.wait_for_selector("#resource-list:has-text('每月义诊')")
    async with page_db.session(write=False) as s:
        row = (await s.exec(select(UnitResource))).one()
        assert (row.unit_id, row.title, row.category, row.contact_phone, row.active) == (
            tree.unit.id,
            "每月义诊",
            "医疗健康",
            "13912340000",
            True,
        )
    await page.click(f"[data-withdraw='{row.id}']")
    await page.wait_for_selector("#resource-list:has-text('已撤下')")
    async with page_db.session(write=False) as s:
        assert (await s.get(UnitResource, row.id)).active is False
