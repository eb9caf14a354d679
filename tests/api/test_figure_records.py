"""The records behind each figure (issue 11 item 5): on the demo county, for the alliance and for one
community, the list of records has exactly as many rows as the figure (time figures: as many minutes)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock
from app.demo import load_demo
from app.models.org import Org, OrgKind
from app.services import figures
from tests.factories import auth, make_user

# Each figure and where its value sits in /orgs/{id}/stats.
FIELDS = {
    "wishes.posted": ("wishes", "posted"),
    "wishes.published": ("wishes", "published"),
    "wishes.claimed": ("wishes", "claimed"),
    "wishes.verified": ("wishes", "verified"),
    "minutes_served": ("minutes_served",),
    "wish_minutes": ("wish_minutes",),
    "activity_minutes": ("activity_minutes",),
    "duty_minutes": ("duty_minutes",),
    "volunteers": ("volunteers",),
    "beneficiaries": ("beneficiaries",),
    "activities": ("activities",),
    "attendances": ("attendances",),
    "no_shows": ("no_shows",),
    "station_visits": ("station_visits",),
    "members_reported": ("members_reported",),
    "members_rated": ("members_rated",),
    "events.reported": ("events", "reported"),
    "events.closed": ("events", "closed"),
    "events.overdue": ("events", "overdue"),
}
TIME = {"minutes_served", "wish_minutes", "activity_minutes", "duty_minutes"}


def test_every_counted_figure_has_a_records_test():
    assert set(FIELDS) == {f.key for f in figures.FIGURES} - figures.RATES


async def _all_records(client, org_id, figure, headers, period):
    items, cursor = [], None
    while True:
        params = {**period, "figure": figure, "limit": 100, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(f"/api/v1/orgs/{org_id}/stats/records", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return body, items


@pytest.fixture
async def demo(session):
    assert await load_demo(session, force=True)
    alliance = (await session.exec(select(Org).where(Org.kind == OrgKind.alliance))).first()
    community = (
        await session.exec(select(Org).where(Org.kind == OrgKind.community).order_by(Org.id))
    ).first()
    admin = await make_user(session, name="审计员", role=(alliance, "admin"))
    await session.commit()
    today = clock.today()
    period = {"from": (today - timedelta(days=400)).isoformat(), "to": today.isoformat()}
    return alliance, community, admin, period


@pytest.mark.parametrize("figure", list(FIELDS))
async def test_records_behind_a_figure_are_as_many_as_the_figure(client, demo, figure):
    alliance, community, admin, period = demo
    seen = []
    for org in (alliance, community):
        stats = await client.get(f"/api/v1/orgs/{org.id}/stats", params=period, headers=auth(admin))
        assert stats.status_code == 200, stats.text
        value = stats.json()
        for part in FIELDS[figure]:
            value = value[part]
        body, items = await _all_records(client, org.id, figure, auth(admin), period)
        if figure in TIME:
            assert body["minutes"] == sum(i["minutes"] for i in items) == value, (org.name, figure)
        else:
            assert body["total"] == len(items) == value, (org.name, figure)
        assert body["label"] == figures.label(figure)
        assert all(i["person"] is None or "****" in (i["person"]["phone"] or "****") for i in items)
        seen.append(value)
    assert seen[0] > 0, f"the demo has no {figure} to check"


async def test_an_unknown_figure_is_422(client, demo):
    alliance, _, admin, period = demo
    resp = await client.get(
        f"/api/v1/orgs/{alliance.id}/stats/records",
        params={**period, "figure": "wishes.dreamt"},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "unknown_figure"


async def test_the_records_page_lists_as_many_rows_as_the_figure(client, demo):
    alliance, community, admin, period = demo
    stats = (
        await client.get(f"/api/v1/orgs/{community.id}/stats", params=period, headers=auth(admin))
    ).json()
    q = f"org_id={community.id}&from={period['from']}&to={period['to']}"
    page = await client.get(f"/admin/stats/records?figure=wishes.verified&{q}", headers=auth(admin))
    assert page.status_code == 200
    assert f'id="records-total">{stats["wishes"]["verified"]}<' in page.text
    assert page.text.count('<li class="weui-cell') == min(50, stats["wishes"]["verified"])
    dashboard = (await client.get(f"/admin/stats?{q}", headers=auth(admin))).text
    assert f'href="/admin/stats/records?figure=wishes.verified&amp;{q.replace("&", "&amp;")}"' in dashboard
    assert f'href="/admin/stats/screen?{q.replace("&", "&amp;")}"' in dashboard
    # the way back up: the alliance, then the community itself
    assert f'<a href="/admin/stats?org_id={alliance.id}&amp;from=' in dashboard


@pytest.mark.parametrize(
    "path", ["/admin/stats", "/admin/stats/screen", "/admin/stats/records?figure=activities"]
)
async def test_the_screen_and_records_answer_as_the_dashboard_does(client, session, path, demo):
    alliance, community, _, period = demo
    other = (
        await session.exec(
            select(Org).where(Org.kind == OrgKind.community, Org.id != community.id).order_by(Org.id)
        )
    ).first()
    staff = await make_user(session, role=(other, "staff"))
    resident = await make_user(session)
    await session.commit()
    sep = "&" if "?" in path else "?"
    outside = await client.get(f"{path}{sep}org_id={community.id}", headers=auth(staff))
    assert outside.status_code == 403  # a node outside the viewer's reach, as on the dashboard
    mine = await client.get(f"{path}{sep}org_id={other.id}", headers=auth(staff))
    assert mine.status_code == 200
    assert (await client.get(path, headers=auth(resident))).status_code == 403
