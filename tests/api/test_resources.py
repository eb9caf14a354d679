"""Member units' service resources: the management page."""

from tests.factories import auth, make_tree, make_user


async def test_resources_page_is_for_unit_staff_only(client, session):
    tree = await make_tree(session)
    unit_staff = await make_user(session, role=(tree.unit, "staff"))
    community_staff = await make_user(session, role=(tree.community, "staff"))
    ok = await client.get("/admin/resources", headers=auth(unit_staff))
    assert ok.status_code == 200
    assert "县医院" in ok.text
    refused = await client.get("/admin/resources", headers=auth(community_staff))
    assert refused.status_code == 403
    assert "仅共建单位的管理员或工作人员可以管理服务资源" in refused.text
