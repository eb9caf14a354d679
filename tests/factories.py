"""Factories: an org tree several levels deep, people, roles, activities with sign-ups, and auth headers."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.config import get_settings
from app.models.activities import Activity, ActivitySignup
from app.models.org import Org, OrgKind
from app.models.user import User
from app.security import issue_access_token
from app.services import orgs as orgs_service

_phones = itertools.count(1)


def next_phone() -> str:
    return f"137{next(_phones):08d}"


@dataclass
class Tree:
    alliance: Org
    community: Org
    compound: Org
    grid: Org
    other_community: Org
    other_compound: Org
    unit: Org


async def make_tree(session: AsyncSession) -> Tree:
    """alliance → {community → compound → grid, other_community → other_compound}, unit under alliance."""
    add = orgs_service.add_org
    alliance = await add(session, name="测试联盟", kind=OrgKind.alliance, parent=None)
    community = await add(session, name="幸福社区", kind=OrgKind.community, parent=alliance)
    compound = await add(session, name="幸福里小区", kind=OrgKind.compound, parent=community)
    grid = await add(session, name="第一网格", kind=OrgKind.grid, parent=compound)
    other_community = await add(session, name="和平社区", kind=OrgKind.community, parent=alliance)
    other_compound = await add(session, name="和平新村", kind=OrgKind.compound, parent=other_community)
    unit = await add(session, name="县医院", kind=OrgKind.unit, parent=alliance)
    await session.commit()
    return Tree(alliance, community, compound, grid, other_community, other_compound, unit)


async def make_user(
    session: AsyncSession,
    *,
    name: str = "居民",
    phone: str | None = None,
    home: Org | None = None,
    party: str | None = None,
    role: tuple[Org, str] | None = None,
) -> User:
    """A person (optionally a party member of type `party`, optionally holding `role` = (org, role))."""
    user = User(
        name=name,
        phone=phone or next_phone(),
        home_org_id=home.id if home else None,
        # As orgs.assign_role does: a person without a home belongs where their role brought them in.
        registered_org_id=role[0].id if role and not home else None,
        is_party_member=party is not None,
        member_type=party,
    )
    session.add(user)
    await session.flush()
    if role:
        await orgs_service.grant_role(session, user_id=user.id, org_id=role[0].id, role=role[1])
    await session.commit()
    return user


async def make_activity(
    session: AsyncSession,
    *,
    org: Org,
    title: str = "志愿服务",
    kind: str = "志愿服务",
    starts_in: timedelta = timedelta(minutes=5),
    length: timedelta = timedelta(hours=2),
    capacity: int = 5,
    signed_up: Sequence[User] = (),
    **fields: Any,
) -> Activity:
    """An activity at `org` starting `starts_in` from now (negative: already begun) and lasting `length`,
    with the `signed_up` people holding places; other columns by keyword (commits)."""
    start = clock.now() + starts_in
    activity = Activity(
        org_id=org.id,
        title=title,
        kind=kind,
        starts_at=start,
        ends_at=start + length,
        capacity=capacity,
        signed_up=len(signed_up),
        **fields,
    )
    session.add(activity)
    await session.flush()
    for person in signed_up:
        session.add(
            ActivitySignup(activity_id=activity.id, user_id=person.id, status="signed_up", updated_at=start)
        )
    await session.commit()
    return activity


def photo(fmt: str = "PNG", *, size: tuple[int, int] = (64, 48), gps: bool = False) -> bytes:
    """A real image in `fmt` (JPEG, PNG, WEBP); with `gps`, EXIF naming a place and a camera."""
    import io

    from PIL import Image

    img = Image.new("RGBA" if fmt == "PNG" else "RGB", size, (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "SpyCam"  # Make
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPS IFD
    img.save(out, fmt, exif=exif)
    return out.getvalue()


def auth(user: User) -> dict[str, str]:
    """Bearer headers for the user."""
    return {"Authorization": f"Bearer {issue_access_token(get_settings(), user.id, user.token_version)}"}


def problem_code(resp, status: int) -> str:
    """The stable code of a problem+json refusal, after checking its status, so a test says why it was refused."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    return resp.json()["code"]
