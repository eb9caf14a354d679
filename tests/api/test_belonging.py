"""Who may act on a person's minutes: staff over the node the person belongs to (their home, or where
they were registered), and the rules read fields the person cannot change on their own (issue 10,
items 1, 2 and 5). Each test was a way to take or mint minutes before."""

from sqlmodel import select

from app.models.audit import AuditLog
from app.models.timebank import TimebankPolicy
from app.models.user import User
from app.services import orgs as orgs_service
from tests.api.test_activities import _body
from tests.api.test_timebank import credit
from tests.factories import auth, make_tree, make_user

TB = "/api/v1/timebank"


async def _balance(client, user) -> int:
    return (await client.get(f"{TB}/me", headers=auth(user))).json()["balance_minutes"]


async def _reward(client, staff, org, price=100):
    made = await client.post(
        f"{TB}/rewards",
        json={"org_id": org.id, "name": "大米", "price_minutes": price, "stock": 9},
        headers=auth(staff),
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


# ---- item 1: redeeming for someone needs a role over that person's home -------------------------


async def test_staff_of_another_compound_cannot_redeem_for_a_resident_elsewhere(client, session):
    tree = await make_tree(session)
    elsewhere = await make_user(session, role=(tree.other_compound, "staff"))
    granny = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, granny, 300)
    rid = await _reward(client, elsewhere, tree.other_compound)
    for n in range(3):
        resp = await client.post(
            f"{TB}/rewards/{rid}/redeem",
            json={"for_phone": granny.phone},
            headers={**auth(elsewhere), "Idempotency-Key": f"drain-{n}"},
        )
        assert resp.status_code == 404, resp.text
        assert resp.json()["code"] == "user_not_found"
    assert await _balance(client, granny) == 300


async def test_staff_over_the_residents_home_may_redeem_for_them(client, session):
    tree = await make_tree(session)
    community_staff = await make_user(session, role=(tree.community, "staff"))
    granny = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, granny, 300)
    rid = await _reward(client, community_staff, tree.compound)
    resp = await client.post(
        f"{TB}/rewards/{rid}/redeem",
        json={"for_phone": granny.phone},
        headers={**auth(community_staff), "Idempotency-Key": "ok"},
    )
    assert resp.status_code == 201, resp.text
    assert await _balance(client, granny) == 200


# ---- item 2: a person with no home belongs where they were registered --------------------------


async def test_nobody_may_correct_a_person_who_belongs_nowhere(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    far = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_admin = await make_user(session, role=(far, "admin"))
    drifter = await make_user(session)
    await credit(session, tree.compound, drifter, 100)
    for who, org in ((admin, tree.alliance), (far_admin, far)):
        resp = await client.post(
            f"{TB}/grants",
            json={"user_id": drifter.id, "minutes": -100, "reason": "更正", "org_id": org.id},
            headers={**auth(who), "Idempotency-Key": f"c-{who.id}"},
        )
        assert resp.status_code == 404, resp.text
        assert resp.json()["code"] == "user_not_found"
    assert await _balance(client, drifter) == 100


async def test_a_person_registered_at_the_door_belongs_to_that_alliance_only(client, session):
    tree = await make_tree(session)
    organiser = await make_user(session, role=(tree.community, "staff"))
    act = await client.post("/api/v1/activities", json=_body(tree.compound), headers=auth(organiser))
    assert act.status_code == 201, act.text
    signed = await client.post(
        f"/api/v1/activities/{act.json()['id']}/attendance",
        json={"phone": "13900001111", "name": "钱大爷"},
        headers=auth(organiser),
    )
    assert signed.status_code == 200, signed.text
    elder = (await session.exec(select(User).where(User.phone == "13900001111"))).one()
    await session.refresh(elder)
    assert (elder.home_org_id, elder.registered_org_id) == (None, tree.compound.id)

    admin = await make_user(session, role=(tree.community, "admin"))
    far = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_admin = await make_user(session, role=(far, "admin"))
    refused = await client.post(
        f"{TB}/grants",
        json={"user_id": elder.id, "minutes": 30, "reason": "补录", "org_id": far.id},
        headers={**auth(far_admin), "Idempotency-Key": "far"},
    )
    assert refused.status_code == 404
    assert refused.json()["code"] == "user_not_found"
    granted = await client.post(
        f"{TB}/grants",
        json={"user_id": elder.id, "minutes": 30, "reason": "补录"},
        headers={**auth(admin), "Idempotency-Key": "near"},
    )
    assert granted.status_code == 201, granted.text
    assert await _balance(client, elder) == 30


# ---- item 5: fields rules read are set once; after that only staff change them -----------------


async def test_clearing_ones_home_does_not_lift_the_transfer_ban(client, session):
    tree = await make_tree(session)
    session.add(TimebankPolicy(alliance_id=tree.alliance.id, family_transfer_allowed=False))
    await session.commit()
    user = await make_user(session, home=tree.compound)
    son = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 100)
    cleared = await client.patch("/api/v1/me", json={"home_org_id": None}, headers=auth(user))
    assert cleared.status_code == 409
    assert cleared.json()["code"] == "profile_field_locked"
    moved = await client.patch("/api/v1/me", json={"home_org_id": tree.other_compound.id}, headers=auth(user))
    assert moved.json()["code"] == "profile_field_locked"
    resp = await client.post(
        f"{TB}/transfers",
        json={"to_phone": son.phone, "minutes": 30},
        headers={**auth(user), "Idempotency-Key": "t"},
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "transfer_not_allowed"


async def test_a_person_without_a_home_cannot_transfer_until_they_choose_one(client, session):
    tree = await make_tree(session)
    user = await make_user(session)
    son = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 100)
    resp = await client.post(
        f"{TB}/transfers",
        json={"to_phone": son.phone, "minutes": 30},
        headers={**auth(user), "Idempotency-Key": "t"},
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "home_required"


async def test_birth_year_is_set_once_so_the_redeem_age_holds(client, session):
    tree = await make_tree(session)
    session.add(TimebankPolicy(alliance_id=tree.alliance.id, redeem_min_age=60))
    await session.commit()
    staff = await make_user(session, role=(tree.compound, "staff"))
    young = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, young, 200)
    first = await client.patch("/api/v1/me", json={"birth_year": 1995}, headers=auth(young))
    assert first.status_code == 200 and first.json() is not None
    same = await client.patch("/api/v1/me", json={"birth_year": 1995}, headers=auth(young))
    assert same.status_code == 200
    older = await client.patch("/api/v1/me", json={"birth_year": 1950}, headers=auth(young))
    assert older.status_code == 409
    assert older.json()["code"] == "profile_field_locked"
    rid = await _reward(client, staff, tree.compound)
    resp = await client.post(f"{TB}/rewards/{rid}/redeem", headers={**auth(young), "Idempotency-Key": "r"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "redeem_age_not_reached"


async def test_staff_over_the_home_correct_it_with_a_reason_and_it_is_audited(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    person = await make_user(session, home=tree.compound)
    resp = await client.patch(
        f"/api/v1/users/{person.id}",
        json={"home_org_id": tree.other_compound.id, "birth_year": 1950, "reason": "搬家，户口本核对"},
        headers=auth(staff),
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["home_org_id"], resp.json()["id"]) == (tree.other_compound.id, person.id)
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "user.correct_profile"))).one()
    assert (log.actor_id, log.on_behalf_of_id, log.detail["reason"]) == (
        staff.id,
        person.id,
        "搬家，户口本核对",
    )
    assert log.detail["before"] == {"home_org_id": tree.compound.id, "birth_year": None}


async def test_profile_corrections_are_refused_to_others(client, session):
    tree = await make_tree(session)
    person = await make_user(session, home=tree.compound)
    far = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_compound = await orgs_service.add_org(session, name="远方小区", kind="compound", parent=far)
    body = {"birth_year": 1950, "reason": "核对"}
    cases = [
        (await make_user(session, home=tree.compound), body, 404),  # a neighbour
        (person, body, 404),  # oneself
        (
            await make_user(session, role=(tree.other_community, "staff")),
            body,
            404,
        ),  # staff of another community
        (await make_user(session, role=(far, "admin")), body, 404),  # another alliance
        (
            await make_user(session, role=(tree.community, "staff")),
            {"home_org_id": far_compound.id, "reason": "迁走"},
            422,
        ),
        (await make_user(session, role=(tree.community, "staff")), {"birth_year": 1950}, 422),  # no reason
    ]
    for actor, sent, status in cases:
        resp = await client.patch(f"/api/v1/users/{person.id}", json=sent, headers=auth(actor))
        assert resp.status_code == status, (actor.id, sent, resp.text)
    await session.refresh(person)
    assert (person.home_org_id, person.birth_year) == (tree.compound.id, None)
