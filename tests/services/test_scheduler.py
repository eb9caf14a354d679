"""The scheduler runs every timed job on its own: one job failing rolls back only its own work."""

from datetime import timedelta

from sqlmodel import select

from app import clock, scheduler
from app.models.notifications import Notification
from app.models.wishes import Wish, WishClaim
from app.services import notifications as notify_service
from tests.factories import make_tree, make_user


def test_every_timed_job_is_registered_on_its_own():
    assert [name for name, _ in scheduler.jobs()] == [
        "wishes.release_overdue",
        "wishes.expire",
        "wishes.auto_confirm",
        "wishes.remind_due",
        "events.escalate_overdue",
        "events.close_unanswered",
        "meetings.mark_overdue",
        "shifts.close_overdue",
        "push.deliver",
    ]


async def test_a_failing_reminder_does_not_roll_back_the_overdue_releases(live, monkeypatch):
    today = clock.today()
    async with live.db.session() as s:
        tree = await make_tree(s)
        poster = await make_user(s, name="许愿人", home=tree.compound)
        claimer = await make_user(s, name="认领人", home=tree.compound)
        wishes = {}
        for title, promise in (
            ("逾期的心愿", today - timedelta(days=1)),
            ("明天到期的心愿", today + timedelta(days=1)),
        ):
            wish = Wish(
                org_id=tree.compound.id,
                poster_id=poster.id,
                title=title,
                category="其他",
                status="claimed",
                claimer_id=claimer.id,
                claimed_at=clock.now() - timedelta(days=3),
                promise_date=promise,
            )
            s.add(wish)
            await s.flush()
            claim = WishClaim(
                wish_id=wish.id, user_id=claimer.id, claimed_at=wish.claimed_at, promise_date=promise
            )
            s.add(claim)
            await s.flush()
            wish.claim_id = claim.id
            wishes[title] = wish.id
        await s.commit()

    notify = notify_service.notify

    async def failing_reminder(session, **kw):
        if kw["kind"] == "claim_due":
            raise RuntimeError("the inbox is down")
        return await notify(session, **kw)

    monkeypatch.setattr(notify_service, "notify", failing_reminder)
    results = await scheduler.run_once(live.db)

    assert results["wishes.release_overdue"] == 1
    assert results["wishes.remind_due"] == -1
    async with live.db.session() as s:
        overdue = await s.get(Wish, wishes["逾期的心愿"])
        assert (overdue.status, overdue.claimer_id) == ("published", None)
        due = await s.get(Wish, wishes["明天到期的心愿"])
        assert due.status == "claimed"
        reminded = (await s.exec(select(WishClaim.reminded_at).where(WishClaim.wish_id == due.id))).one()
        assert reminded is None  # the failed reminder rolled back its own mark, so it is tried again
        kinds = sorted((await s.exec(select(Notification.kind))).all())
        assert kinds == ["claim_overdue", "claim_overdue"]

    monkeypatch.setattr(notify_service, "notify", notify)
    results = await scheduler.run_once(live.db)
    assert (results["wishes.release_overdue"], results["wishes.remind_due"]) == (0, 1)
