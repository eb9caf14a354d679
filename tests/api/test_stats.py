"""/orgs/{id}/stats: the funnel and the figures, cut by subtree and period."""

from datetime import UTC, datetime, timedelta

from app.models.activities import Activity, Attendance
from app.models.wishes import Wish, WishClaim, WishEvent
from tests.factories import auth, make_tree, make_user

T0 = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 China time


async def _wish(session, *, org, poster, stage: str, claimer=None, at=T0, minutes=60):
    """A wish that has reached `stage` (submitted/published/claimed/verified) at `at`."""
    wish = Wish(
        org_id=org.id,
        poster_id=poster.id,
        title="买菜",
        description="帮忙买菜",
        category="生活服务",
        status=stage,
        created_at=at,
    )
    session.add(wish)
    await session.flush()
    if stage in ("published", "claimed", "verified"):
        session.add(
            WishEvent(
                wish_id=wish.id, at=at, action="publish", from_status="submitted", to_status="published"
            )
        )
        wish.first_published_at = at  # the milestone the machine stamps on the first publish
    if stage in ("claimed", "verified"):
        session.add(
            WishClaim(
                wish_id=wish.id,
                user_id=claimer.id,
                claimed_at=at + timedelta(hours=1),
                promise_date=(at + timedelta(days=3)).date(),
            )
        )
        wish.claimer_id = claimer.id
        wish.first_claimed_at = at + timedelta(hours=1)  # and on the first claim
    if stage == "verified":
        wish.verified_at = at + timedelta(days=1)
        wish.credit_minutes = minutes
    session.add(wish)
    await session.flush()
    return wish


async def test_funnel_counts_each_wish_in_every_stage_it_reached(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    poster = await make_user(session, home=tree.compound)
    helper = await make_user(session)
    await _wish(session, org=tree.compound, poster=poster, stage="submitted")
    await _wish(session, org=tree.compound, poster=poster, stage="published")
    await _wish(session, org=tree.grid, poster=poster, stage="claimed", claimer=helper)
    await _wish(session, org=tree.compound, poster=poster, stage="verified", claimer=helper, minutes=90)
    await _wish(
        session, org=tree.other_compound, poster=poster, stage="verified", claimer=helper
    )  # other subtree
    await _wish(
        session,
        org=tree.compound,
        poster=poster,
        stage="verified",
        claimer=helper,
        at=T0 - timedelta(days=90),
    )  # before the period
    await session.commit()

    resp = await client.get(
        f"/api/v1/orgs/{tree.community.id}/stats?from=2026-03-01&to=2026-03-31", headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["wishes"] == {"posted": 4, "published": 3, "claimed": 2, "verified": 1}
    assert body["minutes_served"] == 90
    assert body["volunteers"] == 1
    assert body["beneficiaries"] == 1
    assert body["from"] == "2026-03-01"
    assert body["to"] == "2026-03-31"


async def test_activity_attendance_counts_in_subtree(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    people = [await make_user(session) for _ in range(3)]
    act = Activity(
        org_id=tree.compound.id,
        title="清扫楼道",
        kind="志愿服务",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=2),
        capacity=10,
        credit_minutes=120,
    )
    session.add(act)
    await session.flush()
    for p in people[:2]:
        session.add(
            Attendance(
                activity_id=act.id,
                user_id=p.id,
                method="code",
                signed_in_at=T0,
                credited_minutes=120,
                credited_at=T0 + timedelta(hours=2),
            )
        )
    await session.commit()
    body = (
        await client.get(
            f"/api/v1/orgs/{tree.alliance.id}/stats?from=2026-03-01&to=2026-03-31", headers=auth(admin)
        )
    ).json()
    assert (body["activities"], body["attendances"], body["minutes_served"], body["volunteers"]) == (
        1,
        2,
        240,
        2,
    )
    other = (
        await client.get(
            f"/api/v1/orgs/{tree.other_community.id}/stats?from=2026-03-01&to=2026-03-31", headers=auth(admin)
        )
    ).json()
    assert (other["activities"], other["attendances"], other["minutes_served"]) == (0, 0, 0)


async def test_stats_need_a_role_over_the_node(client, session):
    tree = await make_tree(session)
    outsider = await make_user(session, role=(tree.other_community, "staff"))
    resp = await client.get(f"/api/v1/orgs/{tree.community.id}/stats", headers=auth(outsider))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_reversed_period_is_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    resp = await client.get(
        f"/api/v1/orgs/{tree.community.id}/stats?from=2026-04-01&to=2026-03-01", headers=auth(staff)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_period"


async def test_stats_workbook_holds_the_figures(client, session):
    from io import BytesIO

    from openpyxl import load_workbook

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    poster = await make_user(session, home=tree.compound)
    await _wish(session, org=tree.compound, poster=poster, stage="published")
    await session.commit()
    resp = await client.get(
        f"/api/v1/orgs/{tree.community.id}/stats.xlsx?from=2026-03-01&to=2026-03-31", headers=auth(staff)
    )
    assert resp.status_code == 200
    rows = {r[0]: r[1] for r in load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True)}
    assert (rows["组织"], rows["心愿发布"], rows["心愿上墙"], rows["心愿验收"]) == ("幸福社区", 1, 1, 0)


async def test_admin_stats_page_shows_the_funnel(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    poster = await make_user(session, home=tree.compound)
    await _wish(session, org=tree.compound, poster=poster, stage="published")
    await session.commit()
    resp = await client.get(
        f"/admin/stats?org_id={tree.community.id}&from=2026-03-01&to=2026-03-31", headers=auth(staff)
    )
    assert resp.status_code == 200
    assert "心愿漏斗：发布 1，上墙 1，认领 0，验收 0" in resp.text


async def test_admin_stats_page_refuses_residents(client, session):
    resident = await make_user(session)
    resp = await client.get("/admin/stats", headers=auth(resident))
    assert resp.status_code == 403
    assert "工作台仅对社区、小区工作人员开放" in resp.text


async def test_reports_use_the_replica_when_configured():
    from app.config import Settings
    from app.db import Database

    settings = Settings(
        DATABASE_URL="sqlite+aiosqlite:////tmp/ejia-primary.db",
        DATABASE_READ_URL="sqlite+aiosqlite:////tmp/ejia-replica.db",
    )
    db = Database(settings)
    try:
        async with db.session(write=False, report=True) as s:
            assert str(s.bind.url).endswith("ejia-replica.db")
        async with db.session(write=False) as s:
            assert str(s.bind.url).endswith("ejia-primary.db")
    finally:
        await db.dispose()


async def test_members_and_events_are_counted_in_the_subtree(client, session):
    from app.models.events import GridEvent
    from app.models.member_reports import MemberReport

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    members = [await make_user(session, party="in_service") for _ in range(3)]
    for member, status in zip(members, ("approved", "approved", "rejected"), strict=True):
        session.add(
            MemberReport(
                user_id=member.id,
                org_id=tree.compound.id,
                employer_unit_id=tree.unit.id,
                year=2026,
                period="2026",
                status=status,
                active=1 if status == "approved" else None,
                created_at=T0,
            )
        )
    session.add(
        GridEvent(
            org_id=tree.grid.id,
            reporter_id=members[0].id,
            category="环境卫生",
            description="垃圾堆积",
            status="closed",
            satisfied=True,
            created_at=T0,
            closed_at=T0 + timedelta(days=1),
        )
    )
    session.add(
        GridEvent(
            org_id=tree.other_compound.id,
            reporter_id=members[0].id,
            category="环境卫生",
            description="路灯坏了",
            status="reported",
            created_at=T0,
        )
    )
    await session.commit()
    body = (
        await client.get(
            f"/api/v1/orgs/{tree.community.id}/stats?from=2026-03-01&to=2026-03-31", headers=auth(staff)
        )
    ).json()
    assert (body["members_reported"], body["members_approved"]) == (2, 2)
    assert (body["events"]["reported"], body["events"]["closed"]) == (1, 1)


async def test_period_at_either_end_of_the_calendar_is_422_not_500(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    for query in ("from=9999-12-30&to=9999-12-31", "from=0001-01-01&to=0001-01-02"):
        resp = await client.get(f"/api/v1/orgs/{tree.community.id}/stats?{query}", headers=auth(staff))
        assert resp.status_code == 422, query
        assert resp.json()["code"] == "validation_error"
        assert {e["code"] for e in resp.json()["errors"]} == {"date_out_of_range"}
