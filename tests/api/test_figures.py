"""One definition per figure (issue 11 item 3): each figure is counted by the date its event happened,
so a monthly series sums to the period total; rates count what is open and overdue; a reporter who is
not satisfied reopens a grid event instead of closing it."""

from datetime import timedelta

from app import clock
from app.services import event_timers
from tests.api.test_events import URL, due, people, report
from tests.factories import auth, make_tree, make_user


async def _checked(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    ev = await report(client, resident, tree.grid)
    eid = ev["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    await client.post(f"{URL}/{eid}/handle", json={"note": "已清理"}, headers=auth(handler))
    await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    return tree, resident, staff, handler, eid


async def test_not_satisfied_reopens_the_event_with_the_reporters_words(client, session):
    tree, resident, staff, handler, eid = await _checked(client, session)
    r = await client.post(
        f"{URL}/{eid}/feedback",
        json={"satisfied": False, "comment": "杂物又堆回来了"},
        headers=auth(resident),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["satisfied"], body["feedback_comment"]) == (
        "dispatched",
        False,
        "杂物又堆回来了",
    )
    assert (body["events"][-1]["action"], body["events"][-1]["note"]) == (
        "reopen",
        "群众不满意：杂物又堆回来了",
    )
    stats = (await client.get(f"/api/v1/orgs/{tree.compound.id}/stats", headers=auth(staff))).json()
    assert stats["events"]["closed"] == 0
    # The handler acts again, the check passes, and this time the reporter is satisfied.
    assert (
        await client.post(f"{URL}/{eid}/handle", json={"note": "再次清理"}, headers=auth(handler))
    ).json()["status"] == "handled"
    await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    r = await client.post(f"{URL}/{eid}/feedback", json={"satisfied": True}, headers=auth(resident))
    assert r.json()["status"] == "closed"


async def test_on_time_rate_counts_an_open_overdue_event_as_late(client, session):
    # The case: 100% while an event was open, overdue and escalated twice.
    tree, resident, staff, handler, _ = await _checked(client, session)  # handled on time
    late = await report(client, resident, tree.grid, description="路灯坏了")
    await client.post(
        f"{URL}/{late['id']}/dispatch",
        json={"handler_org_id": tree.unit.id, "due_at": due(hours=2)},
        headers=auth(staff),
    )
    clock.travel(timedelta(days=3))
    await event_timers.escalate_overdue(session)
    stats = (await client.get(f"/api/v1/orgs/{tree.compound.id}/stats", headers=auth(staff))).json()
    assert stats["events"]["on_time_rate"] == 0.5
    assert stats["events"]["reported"] == 2


async def _stats(client, staff, org, start, end):
    resp = await client.get(f"/api/v1/orgs/{org.id}/stats?from={start}&to={end}", headers=auth(staff))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_wish_posted_in_november_and_verified_in_december_counts_in_december(client, session):
    from datetime import UTC, datetime

    from tests.api.test_stats import _wish

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    poster, helper = await make_user(session, home=tree.compound), await make_user(session)
    wish = await _wish(
        session,
        org=tree.compound,
        poster=poster,
        stage="verified",
        claimer=helper,
        at=datetime(2026, 11, 28, 4, 0, tzinfo=UTC),
        minutes=90,
    )
    wish.verified_at = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    session.add(wish)
    await session.commit()
    nov = await _stats(client, staff, tree.community, "2026-11-01", "2026-11-30")
    dec = await _stats(client, staff, tree.community, "2026-12-01", "2026-12-31")
    assert (nov["wishes"]["posted"], nov["wishes"]["verified"], nov["minutes_served"]) == (1, 0, 0)
    assert (dec["wishes"]["posted"], dec["wishes"]["verified"], dec["minutes_served"]) == (0, 1, 90)
    assert (dec["beneficiaries"], dec["volunteers"], dec["wish_minutes"]) == (1, 1, 90)


async def test_monthly_series_sum_to_the_period_total(client, session):
    from datetime import UTC, datetime

    from tests.api.test_stats import _wish

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    poster, helper = await make_user(session, home=tree.compound), await make_user(session)
    for month, day in ((1, 31), (2, 28), (3, 31), (4, 30)):
        await _wish(
            session,
            org=tree.compound,
            poster=poster,
            stage="verified",
            claimer=helper,
            at=datetime(2026, month, day, 15, 0, tzinfo=UTC),  # 23:00 China time: the next step is next month
            minutes=30 * month,
        )
    await session.commit()
    months = [
        await _stats(client, staff, tree.community, f"2026-{m:02d}-01", f"2026-{m:02d}-{d}")
        for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31))
    ]
    total = await _stats(client, staff, tree.community, "2026-01-01", "2026-05-31")
    for key in ("posted", "published", "claimed", "verified"):
        assert sum(m["wishes"][key] for m in months) == total["wishes"][key] == 4, key
    assert sum(m["minutes_served"] for m in months) == total["minutes_served"] == 300
    assert [m["wishes"]["claimed"] for m in months] == [0, 1, 1, 1, 1]  # claimed an hour later, next day


def test_the_readme_carries_the_figure_table():
    from pathlib import Path

    from app.services.figures import markdown_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


async def test_the_stats_page_explains_each_figure(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    page = (await client.get(f"/admin/stats?org_id={tree.community.id}", headers=auth(staff))).text
    assert "统计口径" in page
    assert "处置期限在本期且已到期的事件中，按期处置的比例；到期未处置的计为逾期" in page


async def test_the_event_page_says_a_dissatisfied_reporter_sends_it_back(client, session):
    tree, resident, staff, handler, eid = await _checked(client, session)
    page = (await client.get(f"/events/{eid}", headers=auth(resident))).text
    assert "选“不满意”将退回处置单位重新办理" in page
    await client.post(
        f"{URL}/{eid}/feedback", json={"satisfied": False, "comment": "没修好"}, headers=auth(resident)
    )
    page = (await client.get(f"/events/{eid}", headers=auth(resident))).text
    assert "不满意（已退回重办）：没修好" in page
