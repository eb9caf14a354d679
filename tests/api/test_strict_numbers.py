"""Whole numbers are JSON numbers: `true`, "10" or 10.0 for an amount (or any id) is a 422, never 1 or 10."""

import pytest

from app.main import create_app
from app.models.base import Input
from tests.factories import auth, make_tree, make_user


def _input_models() -> dict[str, type[Input]]:
    found, todo = {}, [Input]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _json_body_schemas() -> set[str]:
    names = set()
    for path in create_app().openapi()["paths"].values():
        for op in path.values():
            ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in ref:
                names.add(ref["$ref"].rsplit("/", 1)[1])
    return names


def test_every_json_body_is_an_input_so_the_strict_rule_covers_it():
    models = _input_models()
    assert _json_body_schemas() - set(models) == set()


@pytest.mark.parametrize("bad", [True, "10", 10.0])
def test_every_whole_number_field_of_every_body_refuses_a_non_number(bad):
    checked = 0
    models = _input_models()
    for name in _json_body_schemas():
        model = models[name]
        for field, info in model.model_fields.items():
            schema = model.model_json_schema()["properties"][info.alias or field]
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if "integer" not in kinds:
                continue
            errors = []
            try:
                model.model_validate({field: bad})
            except Exception as exc:  # noqa: BLE001 - a pydantic ValidationError, inspected below
                errors = [e for e in exc.errors() if e["loc"] == (field,)]
            assert [e["type"] for e in errors] == ["int_type"], (name, field)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("bad", [True, "10"])
async def test_transfer_of_true_or_a_string_of_minutes_is_422(client, session, bad):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session, home=tree.compound)
    resp = await client.post(
        "/api/v1/timebank/transfers", json={"to_phone": son.phone, "minutes": bad}, headers=auth(giver)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"] == [{"field": "minutes", "code": "int_type", "message": "请填写整数"}]


async def test_grant_of_a_string_of_minutes_is_422(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    person = await make_user(session, home=tree.compound)
    resp = await client.post(
        "/api/v1/timebank/grants",
        json={"user_id": person.id, "minutes": "-100", "reason": "纠错"},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "minutes"
    assert resp.json()["errors"][0]["code"] == "int_type"
