"""Staff publish an activity run by a team from the phone page (issue 13, item 1)."""

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect
from sqlmodel import select

from app import clock
from app.clock import CHINA
from app.models.activities import Activity
from app.models.teams import Team, TeamMember
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def test_staff_publish_an_activity_run_by_a_team(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="刘书记", home=tree.compound, role=(tree.community, "staff"))
        leader = await make_user(s, name="陈队长", home=tree.compound)
        team = Team(org_id=tree.community.id, name="幸福志愿服务队", kind="volunteer", leader_id=leader.id)
        s.add(team)
        await s.flush()
        s.add(TeamMember(team_id=team.id, user_id=leader.id, status="active"))
        await s.commit()
    await login(page, staff)
    await page.goto("/admin/activities")
    await page.get_by_label("组织").select_option(label=tree.community.name)
    await page.get_by_label("承办队伍").select_option(label="幸福志愿服务队")
    await page.get_by_label("标题").fill("敬老院包饺子")
    start = (clock.now() + timedelta(days=1)).astimezone(CHINA)
    await page.get_by_label("开始").fill(start.strftime("%Y-%m-%dT09:00"))
    await page.get_by_label("结束").fill(start.strftime("%Y-%m-%dT11:00"))
    await page.get_by_role("button", name="发布").tap()
    await expect(page).to_have_url(re.compile(r"/activities/\d+$"))
    async with page_db.session(write=False) as s:
        act = (await s.exec(select(Activity))).one()
        assert (act.title, act.team_id) == ("敬老院包饺子", team.id)
