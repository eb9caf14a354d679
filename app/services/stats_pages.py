"""The numbers as pages (issue 11 item 5): the dashboard with its trend charts, the drill-down path, the
数据大屏 for the office TV, and the records behind each figure. The figures come from `stats`,
`stats_cuts` and `stats_records`; this module only arranges them."""

from dataclasses import dataclass
from datetime import date
from typing import cast
from urllib.parse import urlencode

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.org import Org
from app.models.stats import OrgStats, StatsCuts
from app.models.user import User
from app.pagination import PageParams
from app.permissions import ancestor_ids, has_role_over, roles_with_orgs
from app.services import charts, figures, stats_cuts, stats_records
from app.services import orgs as orgs_service
from app.services import stats as stats_service
from app.services.pages import _role_rows

# Where a record of a figure opens, by the figure's first word (others are listed, not linked).
RECORD_PAGES = {"wishes": "/wishes/{ref}", "wish_minutes": "/wishes/{ref}", "events": "/events/{ref}"}
RECORD_PAGES["activities"] = "/activities/{ref}"
SCREEN_REFRESH_SECONDS = 300


@dataclass
class Crumb:
    org_id: int
    name: str


def period_query(org_id: int, s: OrgStats) -> str:
    """The query string that keeps the node and the period."""
    return urlencode({"org_id": org_id, "from": s.from_.isoformat(), "to": s.to.isoformat()})


async def _path(session: AsyncSession, *, org: Org, user: User) -> list[Crumb]:
    """The node's ancestors the viewer may open (alliance first), then the node: the way back up."""
    ids = ancestor_ids(org)
    names = dict((await session.exec(select(Org.id, Org.name).where(col(Org.id).in_(ids)))).all())
    crumbs = []
    for org_id in ids[:-1]:
        if await has_role_over(session, user_id=cast(int, user.id), org_id=org_id):
            crumbs.append(Crumb(org_id=org_id, name=names.get(org_id, "")))
    return [*crumbs, Crumb(org_id=cast(int, org.id), name=org.name)]


def trend_charts(cuts: StatsCuts) -> list[charts.LineChart]:
    """The monthly series: service hours (filled), and wishes and sign-ins (lines)."""
    labels = [m.month[2:].replace("-", ".") for m in cuts.by_month]
    hours = [round(m.minutes_served / 60, 1) for m in cuts.by_month]
    return [
        charts.line_chart("各月服务时长", "小时", labels, [("服务时长（小时）", hours)]),
        charts.line_chart(
            "各月心愿与活动签到",
            "个",
            labels,
            [
                ("心愿发布", [float(m.wishes_posted) for m in cuts.by_month]),
                ("心愿验收", [float(m.wishes_verified) for m in cuts.by_month]),
                ("活动签到（人次）", [float(m.attendances) for m in cuts.by_month]),
            ],
        ),
    ]


async def _figures(
    session: AsyncSession, *, user: User, org_id: int | None, start: date | None, end: date | None
):
    roles = _role_rows(await roles_with_orgs(session, user_id=cast(int, user.id)))
    org_id = org_id or roles[0]["org_id"]
    s = await stats_service.org_stats(session, org_id=org_id, start=start, end=end, actor=user)
    c = await stats_cuts.cuts(session, org_id=org_id, start=start, end=end, actor=user)
    org = await orgs_service.get_org(session, org_id=org_id)
    return roles, org, s, c


async def dashboard(
    session: AsyncSession, *, user: User, org_id: int | None, start: date | None, end: date | None
) -> dict:
    """The numbers of a subtree (the person's first org unless one is named) over a period, with the
    trends as charts, the children compared, the way back up, and a link to each figure's records."""
    roles, org, s, c = await _figures(session, user=user, org_id=org_id, start=start, end=end)
    return {
        "roles": roles,
        "stats": s,
        "cuts": c,
        "org_id": org.id,
        "q": period_query(org.id, s),
        "path": await _path(session, org=org, user=user),
        "trends": trend_charts(c),
        "child_top": max([1, *(x.minutes_served for x in c.by_child)]),
        "figure_definitions": figures.FIGURES,
    }


async def screen(
    session: AsyncSession, *, user: User, org_id: int | None, start: date | None, end: date | None
) -> dict:
    """The 数据大屏: the same figures, large, for the office TV."""
    context = await dashboard(session, user=user, org_id=org_id, start=start, end=end)
    return {**context, "refresh": SCREEN_REFRESH_SECONDS}


async def records(
    session: AsyncSession,
    *,
    user: User,
    figure: str,
    org_id: int | None,
    start: date | None,
    end: date | None,
    cursor: str | None,
) -> dict:
    """The records behind one figure, a page of 50, each linked to its own page where it has one."""
    if org_id is None:
        org_id = _role_rows(await roles_with_orgs(session, user_id=cast(int, user.id)))[0]["org_id"]
    found = await stats_records.figure_records(
        session,
        figure=figure,
        org_id=org_id,
        start=start,
        end=end,
        params=PageParams(limit=50, cursor=cursor),
        actor=user,
    )
    pattern = RECORD_PAGES.get(figure) or RECORD_PAGES.get(figure.split(".")[0])
    links = [pattern.format(ref=r.ref) if pattern else None for r in found.items]
    q = urlencode({"org_id": found.org_id, "from": found.from_.isoformat(), "to": found.to.isoformat()})
    return {
        "found": found,
        "rows": list(zip(found.items, links, strict=True)),
        "is_time": figures.BY_KEY[figure].unit == "时长",
        "q": q,
        "next_href": f"/admin/stats/records?figure={figure}&{q}&cursor={found.next_cursor}"
        if found.next_cursor
        else None,
    }
