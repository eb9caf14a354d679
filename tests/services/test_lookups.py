"""Shared look-ups: one query each, None and unknown ids left out, and the one phone-masking rule."""

from app.services import lookups
from tests.factories import make_tree, make_user


async def test_users_and_org_names_by_id(session):
    tree = await make_tree(session)
    a = await make_user(session, name="甲", phone="13800000001")
    b = await make_user(session, name="乙", phone="13800000002")
    people = await lookups.users_by_id(session, [a.id, None, b.id, a.id, 999_999])
    assert {i: u.name for i, u in people.items()} == {a.id: "甲", b.id: "乙"}
    assert await lookups.users_by_id(session, [None]) == {}
    names = await lookups.org_names(session, [tree.grid.id, None, tree.unit.id, 999_999])
    assert names == {tree.grid.id: "第一网格", tree.unit.id: "县医院"}
    assert await lookups.org_names(session, []) == {}


async def test_person_brief_masks_the_phone_unless_entitled(session):
    person = await make_user(session, name="张三", phone="13812345678")
    assert lookups.person_brief(person, show_phone=True).model_dump() == {
        "id": person.id,
        "name": "张三",
        "phone": "13812345678",
    }
    assert lookups.person_brief(person, show_phone=False).phone == "138****5678"
    assert lookups.shown_phone(None, full=False) is None
    assert lookups.shown_phone("13812345678", full=False) == "138****5678"
