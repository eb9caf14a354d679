"""What the alliance-work pages show: teams, the 公示 of posts, a member's card and the page it opens,
a station's service log. Each gathers from the domain services; nothing here decides a rule."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, Forbidden
from app.models.org import Org, OrgKind
from app.models.posts import Post, PostClaim
from app.models.station_services import SERVICE_KINDS
from app.models.teams import MEMBER_STATUS_LABELS, TEAM_KIND_LABELS
from app.models.user import User
from app.pagination import PageParams
from app.permissions import ancestor_ids, ancestor_path, in_subtree, orgs_with_role
from app.services import demonstration as demonstration_service
from app.services import lookups, station_services, wish_categories
from app.services import member_cards as cards_service
from app.services import orgs as orgs_service
from app.services import stations as stations_service
from app.services import teams as teams_service

LABELS = {"kind_labels": TEAM_KIND_LABELS, "member_labels": MEMBER_STATUS_LABELS}


async def teams(session: AsyncSession, *, user: User) -> dict:
    """My teams, the teams of my alliance, and (for staff) where they may set one up."""
    mine, _ = await teams_service.list_teams(session, actor=user, params=PageParams(limit=50), mine=True)
    around, _ = await teams_service.list_teams(session, actor=user, params=PageParams(limit=100))
    orgs = await orgs_with_role(session, user_id=user.id)
    return {**LABELS, "mine": mine, "teams": around, "orgs": orgs}


async def team(session: AsyncSession, *, team_id: int, user: User) -> dict:
    """One team, its members, and the wishes dispatched to it that wait for a member."""
    public = await teams_service.get_team_view(session, team_id=team_id, actor=user)
    waiting = await teams_service.dispatched_wishes(session, team_id=team_id)
    activities = await teams_service.activities_run(session, team_id=team_id)
    return {**LABELS, "team": public, "waiting": waiting, "activities": activities}


async def _community_of(session: AsyncSession, user: User, org_id: int | None) -> Org | None:
    """The node a 公示 page is for: the one asked for, else the viewer's community."""
    if org_id is not None:
        return await orgs_service.get_org(session, org_id=org_id)
    home = await session.get(Org, user.home_org_id) if user.home_org_id else None
    if home is None:
        return None
    ids = ancestor_ids(home)
    return await session.get(Org, ids[1]) if len(ids) > 1 else home


async def publicity(session: AsyncSession, *, user: User, org_id: int | None) -> dict:
    """公示: who holds which demonstration post and which service post here, never their phones."""
    org = await _community_of(session, user, org_id)
    demo, _ = await demonstration_service.list_posts(
        session, actor=user, params=PageParams(limit=100), org_id=org.id if org else None
    )
    holders = []
    if org is not None:
        rows = (
            await session.exec(
                select(Post, PostClaim.user_id)
                .join(PostClaim, PostClaim.post_id == Post.id)
                .where(PostClaim.active == 1, Post.active.is_(True), in_subtree(Post.org_id, org.path))
                .order_by(Post.id, PostClaim.id)
                .limit(300)
            )
        ).all()
        people = await lookups.users_by_id(session, [uid for _, uid in rows])
        names = await lookups.org_names(session, [p.org_id for p, _ in rows])
        holders = [
            {"title": p.title, "duty": p.duty, "org_name": names.get(p.org_id), "name": people[uid].name}
            for p, uid in rows
            if uid in people
        ]
    staff_orgs = await orgs_with_role(session, user_id=user.id)
    stations = await stations_service.admin_list(session, actor=user) if staff_orgs else []
    stmt = select(Org).where(Org.kind == OrgKind.community)
    if org is not None:
        stmt = stmt.where(in_subtree(Org.id, ancestor_path(org, 1)))
    communities = (await session.exec(stmt.order_by(Org.id).limit(100))).all()
    return {
        "org": org,
        "demo_posts": demo,
        "post_holders": holders,
        "staff": bool(staff_orgs),
        "communities": communities,
        "stations": stations,
    }


async def my_card(session: AsyncSession, *, user: User, user_id: int | None = None) -> dict:
    """My service card (or, for staff over them, a member's): the code and QR to print, and the promises."""
    owner = await session.get(User, user_id) if user_id else user
    try:
        card = await cards_service.get_card(session, user_id=user_id or user.id, actor=user)
    except Conflict as exc:
        if exc.code != "card_not_available":
            raise
        card = None
    return {"card": card, "owner": owner, "own": owner is not None and owner.id == user.id}


async def scanned(session: AsyncSession, *, code: str, user: User) -> dict:
    """The page a scanned card opens: the member's public profile and the 请他帮忙 form."""
    profile = await cards_service.profile(session, code=code, viewer=user)
    categories = await wish_categories.categories_for(session, org_id=user.home_org_id)
    return {"profile": profile, "categories": categories, "is_self": profile.user_id == user.id}


async def station_services_page(session: AsyncSession, *, station_id: int, user: User) -> dict:
    """A station's service log: the form, totals per kind, the latest entries (its runners only)."""
    station = await stations_service.get_station(session, station_id=station_id)
    if not await stations_service.can_run(session, station=station, user=user):
        raise Forbidden("只有站长、副站长或社区工作人员可以登记服务")
    entries, _ = await station_services.list_services(
        session, station_id=station.id, actor=user, params=PageParams(limit=30)
    )
    totals = await station_services.totals(session, station_id=station.id)
    kinds = list(dict.fromkeys([*station.services, *SERVICE_KINDS]))
    return {"station": station, "entries": entries, "totals": totals, "kinds": kinds}


async def station_extras(session: AsyncSession, *, station_id: int) -> dict:
    """What the station page adds: the demonstration posts held at the station."""
    return {"demo_posts": await demonstration_service.held_by(session, station_id=station_id)}
