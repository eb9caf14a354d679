"""Closing an activity of 300 attendees (issue 12, item 3): one transaction in a bounded number of
SQL statements — the same for 3 attendees as for 300, since the credits go through the ledger as one
batch (`ledger.credit_many`) — with every attendee credited by the crediting rule exactly as one by
one, and the books proving it (`verify`, `reconcile`), also after the close is undone and redone."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from app import clock
from app.models.activities import Attendance
from app.models.timebank import LedgerAccount, LedgerTxn, TxnKind
from app.models.user import User
from app.services import credit, ledger
from app.services.reconcile import reconcile
from tests.api.test_statement_counts import pinned, statements
from tests.factories import auth, make_activity, make_tree, make_user, next_phone

API = "/api/v1/activities"
STAYS = [120, 90, 45, 10, None]  # minutes from the start to the sign-out (10: under the minimum; None: never)


async def _crowd(session, tree, staff, n: int):
    """An activity begun an hour ago with `n` attendees signed in at its start, leaving after STAYS in
    turn; the first three already hold minutes. Returns the activity and the attendees."""
    act = await make_activity(
        session, org=tree.compound, starts_in=timedelta(hours=-3), length=timedelta(hours=2), capacity=n
    )
    act.credit_minutes, act.created_by_id = 120, staff.id
    people = [User(name=f"居民{i}", phone=next_phone(), home_org_id=tree.compound.id) for i in range(n)]
    session.add_all(people)
    await session.flush()
    for i, person in enumerate(people):
        stay = STAYS[i % len(STAYS)]
        session.add(
            Attendance(
                activity_id=act.id,
                user_id=person.id,
                method="code",
                signed_in_at=act.starts_at,
                signed_out_at=act.starts_at + timedelta(minutes=stay) if stay is not None else None,
            )
        )
    issuer = await ledger.issuing_account(session, org_id=tree.compound.id)
    for person in people[:3]:  # a grant (no source record for reconcile to look for)
        account = await ledger.person_account(session, user_id=person.id)
        await ledger.post(
            session, kind=TxnKind.grant, legs=[(issuer, -30), (account, 30)], memo="", actor_id=None
        )
    await session.commit()
    return act, people


async def _close(client, db, act, staff) -> int:
    with statements(db) as seen:
        resp = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert resp.status_code == 200, resp.text
    return len(seen), resp.json()


async def _books_prove(session):
    session.expunge_all()
    check = await ledger.verify(session)
    assert check.ok, check.problems
    result = await reconcile(session)
    assert result.problems == []


async def test_closing_300_attendees_takes_as_many_statements_as_closing_3(client, db, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    small, few = await _crowd(session, tree, staff, 3)
    large, many = await _crowd(session, tree, staff, 300)
    session.expunge_all()

    few_statements, body = await _close(client, db, small, staff)
    assert body["credited"] == 3
    many_statements, body = await _close(client, db, large, staff)
    assert (body["credited"], body["attended"]) == (300, 300)
    assert many_statements == few_statements  # bounded: nothing per attendee
    assert many_statements == pinned(23, 23)  # one by one, 300 attendees took 3,612

    # Each attendee got what the crediting rule gives them alone (bounded by 120, rounded to 30).
    policy = credit.CreditPolicy()
    expected = {120: 120, 90: 90, 45: 60, 10: 0, None: 120}
    session.expunge_all()
    rows = (
        await session.exec(
            select(Attendance.user_id, Attendance.credited_minutes, Attendance.credited_by_close).where(
                Attendance.activity_id == large.id
            )
        )
    ).all()
    assert sorted(rows) == sorted((p.id, expected[STAYS[i % len(STAYS)]], True) for i, p in enumerate(many))
    assert policy.served(45, bound=120) == 60
    accounts = {
        a.user_id: a
        for a in (
            await session.exec(
                select(LedgerAccount).where(col(LedgerAccount.user_id).in_([p.id for p in many]))
            )
        ).all()
    }
    for i, person in enumerate(many):
        minutes = expected[STAYS[i % len(STAYS)]] + (30 if i < 3 else 0)
        account = accounts.get(person.id)
        held = (account.balance_minutes, account.earned_minutes) if account else (0, 0)
        assert held == (minutes, minutes), person.id
    earns = (
        await session.exec(
            select(LedgerTxn).where(LedgerTxn.ref_type == "activity", LedgerTxn.ref_id == large.id)
        )
    ).all()
    assert len(earns) == 240 and {t.kind for t in earns} == {TxnKind.earn}  # 0 minutes post nothing
    await _books_prove(session)

    # A second close changes nothing; an undo reverses the batch's credits, a new close credits again.
    assert (await client.post(f"{API}/{large.id}/close", headers=auth(staff))).json()["credited"] == 0
    clock.travel(timedelta(minutes=1))
    undone = await client.post(f"{API}/{large.id}/close/undo", headers=auth(staff))
    assert undone.status_code == 200, undone.text
    _, again = await _close(client, db, large, staff)
    assert again["credited"] == 300
    await _books_prove(session)


async def test_an_attendance_settled_meanwhile_is_left_to_whoever_settled_it(client, session, monkeypatch):
    """The close's one conditional UPDATE wins only the attendances still unsettled: one settled
    between the close's read and its UPDATE (as a sign-out would) keeps its minutes and gets no credit."""
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    act, people = await _crowd(session, tree, staff, 4)
    session.expunge_all()
    policy_for = credit.policy_for

    async def meanwhile(s, *, org_id):
        await s.exec(
            update(Attendance)
            .where(Attendance.activity_id == act.id, Attendance.user_id == people[0].id)
            .values(credited_minutes=45, credit_round=0)
        )
        return await policy_for(s, org_id=org_id)

    monkeypatch.setattr(credit, "policy_for", meanwhile)
    closed = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert (closed.status_code, closed.json()["credited"]) == (200, 3), closed.text
    assert await ledger.find_by_ref(session, ref_type="activity", ref_id=act.id, user_id=people[0].id) is None
    assert await ledger.find_by_ref(session, ref_type="activity", ref_id=act.id, user_id=people[1].id)
    session.expunge_all()
    first = (
        await session.exec(
            select(Attendance).where(Attendance.activity_id == act.id, Attendance.user_id == people[0].id)
        )
    ).one()
    assert (first.credited_minutes, first.credited_by_close) == (45, False)
