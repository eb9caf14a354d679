"""Claiming has limits, so one account cannot empty the walls or harvest contacts (issue 10, items 9, 10).

A person claims inside the alliance they belong to, holds at most a few open claims, claims at most a
few a day, and after too many releases in a day cannot claim again that day; each claim that shows
the claimer the poster's phone (and a child's details) is in the audit log, and a released claim
shows nothing private again.
"""

from sqlmodel import select

from app.models.audit import AuditLog
from app.models.claim_policy import ClaimPolicy
from app.models.org import Org
from app.models.wishes import Wish
from app.services import orgs as orgs_service
from tests.factories import auth, make_tree, make_user, problem_code

API = "/api/v1/wishes"


async def _wishes(session, org, n, **fields) -> list[int]:
    poster = await make_user(session, name="许愿人", home=org)
    ids = []
    for i in range(n):
        wish = Wish(
            org_id=org.id,
            poster_id=poster.id,
            title=f"心愿{i}",
            category="生活服务",
            status="published",
            **fields,
        )
        session.add(wish)
        await session.flush()
        ids.append(wish.id)
    await session.commit()
    return ids


async def test_a_person_holds_at_most_three_open_claims(client, session):
    tree = await make_tree(session)
    ids = await _wishes(session, tree.compound, 4)
    volunteer = await make_user(session, home=tree.compound)
    codes = [(await client.post(f"{API}/{i}/claim", headers=auth(volunteer))).status_code for i in ids]
    assert codes == [200, 200, 200, 409]
    last = await client.post(f"{API}/{ids[3]}/claim", headers=auth(volunteer))
    assert last.json()["code"] == "too_many_open_claims"
    assert "正在帮忙" in last.json()["detail"]


async def test_the_alliance_sets_its_limits_and_claims_a_day_count_releases_too(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    limits = {"max_open_claims": 10, "max_claims_per_day": 2, "max_releases_per_day": 3}
    put = await client.put(f"{API}/claim-policy/{tree.alliance.id}", json=limits, headers=auth(admin))
    assert put.status_code == 200, put.text
    got = await client.get(f"{API}/claim-policy?org_id={tree.compound.id}", headers=auth(admin))
    assert got.json() == {**limits, "alliance_id": tree.alliance.id}
    ids = await _wishes(session, tree.compound, 3)
    volunteer = await make_user(session, home=tree.compound)
    assert (await client.post(f"{API}/{ids[0]}/claim", headers=auth(volunteer))).status_code == 200
    assert (await client.post(f"{API}/{ids[0]}/release", headers=auth(volunteer))).status_code == 200
    assert (await client.post(f"{API}/{ids[1]}/claim", headers=auth(volunteer))).status_code == 200
    third = await client.post(f"{API}/{ids[2]}/claim", headers=auth(volunteer))
    assert (third.status_code, third.json()["code"]) == (409, "too_many_claims_today")


async def test_only_an_alliance_admin_sets_the_limits(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "admin"))
    body = {"max_open_claims": 50, "max_claims_per_day": 100, "max_releases_per_day": 100}
    assert (
        problem_code(
            await client.put(f"{API}/claim-policy/{tree.alliance.id}", json=body, headers=auth(staff)), 403
        )
        == "forbidden"
    )
    assert (
        problem_code(
            await client.put(f"{API}/claim-policy/{tree.community.id}", json=body, headers=auth(staff)), 404
        )
        == "org_not_found"
    )
    bad = await client.put(
        f"{API}/claim-policy/{tree.alliance.id}", json={**body, "max_open_claims": 0}, headers=auth(staff)
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert (await session.exec(select(ClaimPolicy))).first() is None


async def test_claim_read_release_repeat_stops_after_the_days_releases(client, session):
    tree = await make_tree(session)
    ids = await _wishes(session, tree.compound, 6)
    harvester = await make_user(session, home=tree.compound)
    for i in ids[:4]:
        assert (await client.post(f"{API}/{i}/claim", headers=auth(harvester))).status_code == 200
        assert (await client.post(f"{API}/{i}/release", headers=auth(harvester))).status_code == 200
    refused = await client.post(f"{API}/{ids[4]}/claim", headers=auth(harvester))
    assert (refused.status_code, refused.json()["code"]) == (409, "too_many_releases_today")


async def test_claims_stay_inside_the_claimers_alliance(client, session):
    tree = await make_tree(session)
    far = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_compound = await orgs_service.add_org(session, name="远方小区", kind="compound", parent=far)
    (wid,) = await _wishes(session, tree.compound, 1)
    stranger = await make_user(session, home=far_compound)
    drifter = await make_user(session)
    # The stranger cannot even see it; the drifter sees every wall but must say where they serve first.
    assert (
        problem_code(await client.post(f"{API}/{wid}/claim", headers=auth(stranger)), 404) == "wish_not_found"
    )
    resp = await client.post(f"{API}/{wid}/claim", headers=auth(drifter))
    assert (resp.status_code, resp.json()["code"]) == (409, "home_required")
    assert (await session.get(Wish, wid)).claimer_id is None


async def test_a_claim_that_reveals_the_posters_phone_is_audited_and_a_release_hides_it(client, session):
    tree = await make_tree(session)
    (wid,) = await _wishes(session, tree.compound, 1)
    poster_phone = (
        await client.get(f"{API}/{wid}", headers=auth(await make_user(session, home=tree.compound)))
    ).json()["poster"]["phone"]
    assert "*" in poster_phone
    volunteer = await make_user(session, home=tree.compound)
    claimed = await client.post(f"{API}/{wid}/claim", headers=auth(volunteer))
    assert "*" not in claimed.json()["poster"]["phone"]
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "wish.reveal_contact"))).one()
    assert (log.actor_id, log.object_id, log.detail["fields"]) == (volunteer.id, wid, ["poster_phone"])
    await client.post(f"{API}/{wid}/release", headers=auth(volunteer))
    after = await client.get(f"{API}/{wid}", headers=auth(volunteer))
    assert "*" in after.json()["poster"]["phone"]


async def test_staff_without_a_home_claim_where_their_role_is(client, session):
    tree = await make_tree(session)
    (wid,) = await _wishes(session, tree.compound, 1)
    staff = await make_user(session, role=(tree.community, "staff"))
    assert (await session.get(Org, staff.registered_org_id)).id == tree.community.id
    assert (await client.post(f"{API}/{wid}/claim", headers=auth(staff))).status_code == 200
