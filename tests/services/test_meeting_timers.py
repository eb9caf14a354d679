"""The action items' timed job, run by the scheduler as its own job: an item past due becomes overdue once,
the staff of the node above the meeting's are told, and a failing notifier rolls back only this job."""

from datetime import timedelta

from sqlmodel import select

from app import clock, scheduler
from app.models.activities import Activity
from app.models.meetings import ActionItem
from app.models.notifications import Notification
from app.services import notifications as notify_service
from tests.factories import make_tree, make_user


async def _items(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        above = await make_user(s, name="社区书记", role=(tree.community, "staff"))
        owner = await make_user(s, name="责任人", home=tree.compound)
        start = clock.now() - timedelta(days=10)
        meeting = Activity(
            org_id=tree.compound.id,
            title="红色议事会",
            kind="议事会",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=20,
        )
        s.add(meeting)
        await s.flush()
        ids = {}
        for text, due in (("逾期的事项", -1), ("今天到期的事项", 0), ("下周的事项", 7)):
            item = ActionItem(
                activity_id=meeting.id,
                org_id=tree.compound.id,
                text=text,
                owner_user_id=owner.id,
                due_on=clock.today() + timedelta(days=due),
            )
            s.add(item)
            await s.flush()
            ids[text] = item.id
        await s.commit()
    return tree, above, owner, ids


async def test_the_scheduler_marks_past_due_items_overdue_once_and_tells_the_node_above(live):
    tree, above, owner, ids = await _items(live)
    results = await scheduler.run_once(live.db)
    assert results["meetings.mark_overdue"] == 1
    assert (await scheduler.run_once(live.db))["meetings.mark_overdue"] == 0
    async with live.db.session() as s:
        rows = {i.text: i for i in (await s.exec(select(ActionItem))).all()}
        assert {t: r.status for t, r in rows.items()} == {
            "逾期的事项": "overdue",
            "今天到期的事项": "open",
            "下周的事项": "open",
        }
        assert rows["逾期的事项"].escalated_org_id == tree.community.id
        told = (
            await s.exec(select(Notification.user_id).where(Notification.kind == "action_item_overdue"))
        ).all()
        assert sorted(told) == sorted([above.id, owner.id])


async def test_a_failing_notifier_rolls_back_only_the_overdue_job(live, monkeypatch):
    _, _, _, ids = await _items(live)
    notify = notify_service.notify

    async def failing(session, **kw):
        if kw["kind"] == "action_item_overdue":
            raise RuntimeError("the inbox is down")
        return await notify(session, **kw)

    monkeypatch.setattr(notify_service, "notify", failing)
    results = await scheduler.run_once(live.db)
    assert results["meetings.mark_overdue"] == -1
    assert results["events.escalate_overdue"] == 0
    async with live.db.session() as s:
        item = await s.get(ActionItem, ids["逾期的事项"])
        assert item.status == "open"  # tried again next minute


async def test_an_item_still_undone_climbs_a_level_a_day_up_to_the_alliance(live):
    tree, above, owner, ids = await _items(live)
    async with live.db.session() as s:
        alliance_admin = await make_user(s, name="联盟书记", role=(tree.alliance, "admin"))
    assert (await scheduler.run_once(live.db))["meetings.mark_overdue"] == 1  # compound → community
    clock.travel(timedelta(hours=23))
    await scheduler.run_once(live.db)
    async with live.db.session() as s:  # not a day yet: it stays with the community
        assert (await s.get(ActionItem, ids["逾期的事项"])).escalated_org_id == tree.community.id
    reached = []
    for _ in range(3):
        clock.travel(timedelta(days=1, hours=1))
        await scheduler.run_once(live.db)
        async with live.db.session() as s:
            reached.append((await s.get(ActionItem, ids["逾期的事项"])).escalated_org_id)
    assert reached == [tree.alliance.id] * 3  # one more level, then it stays at the top
    async with live.db.session() as s:
        told = (
            await s.exec(
                select(Notification.user_id).where(
                    Notification.kind == "action_item_overdue",
                    Notification.user_id == alliance_admin.id,
                    Notification.ref_id == ids["逾期的事项"],
                )
            )
        ).all()
        assert len(told) == 1
