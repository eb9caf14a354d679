"""Concurrent post claims on real separate sessions: never more holders than slots, one holding per member."""

import asyncio

from sqlmodel import func, select

from app.models.member_reports import MemberReport
from app.models.posts import Post, PostClaim
from app.services.member_reports import this_year
from tests.factories import auth, make_tree, make_user

MEMBERS = 30
SLOTS = 5


async def _setup(live, *, members: int, slots: int):
    async with live.db.session() as s:
        tree = await make_tree(s)
        people = []
        for i in range(members):
            user = await make_user(s, name=f"党员{i}", party="in_service")
            s.add(
                MemberReport(
                    user_id=user.id,
                    org_id=tree.compound.id,
                    employer_unit_id=tree.unit.id,
                    year=this_year(),
                    period=str(this_year()),
                    status="approved",
                )
            )
            people.append(user)
        post = Post(org_id=tree.compound.id, title="治安巡防员", duty="夜间巡逻", slots=slots)
        s.add(post)
        await s.commit()
        return post.id, people


async def _counts(live, post_id: int) -> tuple[int, int]:
    async with live.db.session(write=False) as s:
        claimed = (await s.exec(select(Post.claimed).where(Post.id == post_id))).one()
        active = (
            await s.exec(
                select(func.count())
                .select_from(PostClaim)
                .where(PostClaim.post_id == post_id, PostClaim.active == 1)
            )
        ).one()
        return claimed, active


async def test_concurrent_claims_never_exceed_slots(live):
    post_id, people = await _setup(live, members=MEMBERS, slots=SLOTS)
    async with live.client() as c:
        responses = await asyncio.gather(
            *[c.post(f"/api/v1/posts/{post_id}/claim", headers=auth(p)) for p in people]
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * SLOTS + [409] * (MEMBERS - SLOTS)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"post_full"}
    assert await _counts(live, post_id) == (SLOTS, SLOTS)


async def test_one_member_tapping_many_times_holds_one_slot(live):
    post_id, people = await _setup(live, members=1, slots=SLOTS)
    async with live.client() as c:
        responses = await asyncio.gather(
            *[c.post(f"/api/v1/posts/{post_id}/claim", headers=auth(people[0])) for _ in range(10)]
        )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    assert await _counts(live, post_id) == (1, 1)


async def test_claims_and_leaves_interleaved_keep_the_counter_true(live):
    post_id, people = await _setup(live, members=12, slots=3)
    async with live.client() as c:
        first = people[:3]
        for p in first:
            assert (await c.post(f"/api/v1/posts/{post_id}/claim", headers=auth(p))).status_code == 201
        leaves = [c.post(f"/api/v1/posts/{post_id}/leave", headers=auth(p)) for p in first]
        claims = [c.post(f"/api/v1/posts/{post_id}/claim", headers=auth(p)) for p in people[3:]]
        await asyncio.gather(*leaves, *claims)
    claimed, active = await _counts(live, post_id)
    assert claimed == active
    assert claimed <= 3
