"""The organiser's list and walk-ins (issue 14, item 4): names and states with an Excel 签到表, and a
walk-in let in beyond capacity by the organiser, recorded."""

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import select

from app import clock
from app.models.activities import Activity
from app.models.audit import AuditLog
from app.services import qr
from tests.api.test_activities import _activity
from tests.factories import auth, make_tree, make_user, problem_code


async def test_the_roster_names_everyone_with_their_state_and_downloads(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, capacity=2)
    came = await make_user(session, name="来了")
    absent = await make_user(session, name="没来")
    waiting = await make_user(session, name="候补")
    for person in (came, absent):
        await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    await client.post(f"/api/v1/activities/{act['id']}/signup?wait=true", headers=auth(waiting))
    clock.travel(timedelta(minutes=10))
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    assert (
        await client.post("/api/v1/checkins", json={"token": token}, headers=auth(came))
    ).status_code == 200
    walk = await client.post(
        f"/api/v1/activities/{act['id']}/attendance",
        json={"phone": "13900002222", "name": "路过的王奶奶", "over_capacity": True},
        headers=auth(staff),
    )
    assert walk.status_code == 200, walk.text
    rows = (await client.get(f"/api/v1/activities/{act['id']}/roster", headers=auth(staff))).json()
    states = {r["user"]["name"]: r["state"] for r in rows}
    assert states == {"来了": "attended", "没来": "signed_up", "候补": "waiting", "路过的王奶奶": "attended"}
    assert all("*" not in (r["user"]["phone"] or "") for r in rows)  # the organiser calls them
    xlsx = await client.get(f"/api/v1/activities/{act['id']}/roster.xlsx", headers=auth(staff))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["来了", "没来", "候补", "路过的王奶奶"])
    outsider = await make_user(session, home=tree.compound)
    assert (
        problem_code(await client.get(f"/api/v1/activities/{act['id']}/roster", headers=auth(outsider)), 403)
        == "forbidden"
    )


async def test_a_walk_in_beyond_capacity_needs_the_organisers_say_and_is_recorded(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, capacity=1)
    first = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(first))
    clock.travel(timedelta(minutes=10))
    body = {"phone": "13900003333", "name": "李爷爷"}
    full = await client.post(f"/api/v1/activities/{act['id']}/attendance", json=body, headers=auth(staff))
    assert (full.status_code, full.json()["code"]) == (409, "activity_full")
    let_in = await client.post(
        f"/api/v1/activities/{act['id']}/attendance",
        json={**body, "over_capacity": True},
        headers=auth(staff),
    )
    assert let_in.status_code == 200, let_in.text
    activity = await session.get(Activity, act["id"])
    await session.refresh(activity)
    assert (activity.signed_up, activity.capacity) == (2, 1)
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "activity.sign_in"))).one()
    assert log.detail == {"method": "phone", "over_capacity": True}
