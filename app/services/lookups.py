"""Shared look-ups: people and org names by id in one query each, and a person as a viewer may see them.

`person_brief` and `shown_phone` hold the one phone-masking rule: the full number for those entitled
to it, `138****0000` for everyone else.
"""

from collections.abc import Iterable
from typing import cast

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.org import Org
from app.models.user import User, UserBrief
from app.security import mask_phone

# Ids per IN (…) list: PostgreSQL's wire protocol (asyncpg) and SQLite both stop at 32,767 parameters,
# and a county's yearly cuts can name more people than that.
IN_LIST_MAX = 10_000


def chunks(ids: Iterable[int]) -> list[list[int]]:
    """`ids` (sorted) in lists short enough for one IN (…) each."""
    ordered = sorted(ids)
    return [ordered[i : i + IN_LIST_MAX] for i in range(0, len(ordered), IN_LIST_MAX)]


async def users_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, User]:
    """The people with the given ids (None and unknown ids left out): one query per IN_LIST_MAX ids."""
    out: dict[int, User] = {}
    for part in chunks({i for i in ids if i}):
        out.update({u.id: u for u in (await session.exec(select(User).where(User.id.in_(part)))).all()})
    return out


async def org_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the given org ids (None and unknown ids left out), in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = (await session.exec(select(Org.id, Org.name).where(Org.id.in_(wanted)))).all()
    return {org_id: name for org_id, name in rows}


def shown_phone(phone: str | None, *, full: bool) -> str | None:
    """A phone number as a viewer may see it: in full if they are entitled to it, masked otherwise."""
    return phone if full else mask_phone(phone)


def person_brief(user: User, *, show_phone: bool) -> UserBrief:
    """A person as the viewer may see them: the phone masked unless `show_phone`."""
    return brief(cast(int, user.id), user.name, user.phone, show_phone=show_phone)


def brief(user_id: int, name: str, phone: str | None, *, show_phone: bool) -> UserBrief:
    """`person_brief` from a row's columns (a list that joins the people in rather than loading them)."""
    return UserBrief(id=user_id, name=name, phone=shown_phone(phone, full=show_phone))
