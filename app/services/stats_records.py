"""The records behind a figure (issue 11 item 5): exactly the rows a figure counts, for the subtree and
period, from the figure's one query (`figures.rows`), so the list's length is the figure."""

from datetime import date
from typing import cast

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import ValidationFailed
from app.models.stats import FigureRecord, FigureRecords
from app.models.user import User
from app.pagination import PageParams, decode_cursor, encode_cursor
from app.permissions import require_role_over
from app.services import figures, lookups
from app.services import orgs as orgs_service
from app.services import stats as stats_service

TITLE_CHARS = 40


def figure_of(key: str) -> figures.Figure:
    """The figure named `key`, or 422 `unknown_figure`."""
    if key not in figures.BY_KEY:
        raise ValidationFailed("没有这项统计指标", code="unknown_figure")
    return figures.BY_KEY[key]


async def figure_records(
    session: AsyncSession,
    *,
    figure: str,
    org_id: int,
    start: date | None,
    end: date | None,
    params: PageParams,
    actor: User,
) -> FigureRecords:
    """The records figure `figure` counts in the subtree and period, newest first (staff/admin over it);
    names shown, phones masked."""
    spec = figure_of(figure)
    org = await orgs_service.get_org(session, org_id=org_id)
    org_id = cast(int, org.id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=org_id)
    day_from, day_to, lo, hi = stats_service.period(start, end)
    records = figures.rows(figure, path=org.path, lo=lo, hi=hi, now=clock.now()).subquery()
    total, minutes = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(records.c.minutes), 0)).select_from(records)
        )
    ).one()
    offset = decode_cursor(params.cursor) if params.cursor else 0
    page = (
        await session.exec(
            select(*records.c)
            .order_by(records.c.at.desc(), records.c.ref.desc())
            .offset(offset)
            .limit(params.limit)
        )
    ).all()
    people = await lookups.users_by_id(session, (r.person_id for r in page))
    places = await lookups.org_names(session, (r.org_id for r in page))
    items = [
        FigureRecord(
            ref=r.ref,
            at=r.at,
            title=(r.title or "")[:TITLE_CHARS],
            person=lookups.person_brief(people[r.person_id], show_phone=False)
            if r.person_id in people
            else None,
            org_id=r.org_id,
            org_name=places.get(r.org_id, ""),
            minutes=r.minutes,
        )
        for r in page
    ]
    more = offset + len(page) < total
    return FigureRecords(
        figure=spec.key,
        label=spec.label,
        counts=spec.counts,
        org_id=org_id,
        org_name=org.name,
        from_=day_from,
        to=day_to,
        total=int(total),
        minutes=int(minutes),
        items=items,
        next_cursor=encode_cursor(offset + len(page)) if more else None,
    )
