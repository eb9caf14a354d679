"""What a page shows, gathered from the domain services: one context function per page whose
domain service has no page function of its own (the others — wishes' detail, events, reports,
time bank, resources — live beside their use cases)."""

from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.errors import Forbidden
from app.models.activities import ACTIVITY_KINDS
from app.models.org import KIND_LABELS, ROLE_LABELS, Org, OrgKind, Role
from app.models.stations import SERVICE_CHOICES
from app.models.user import User
from app.pagination import PageParams
from app.permissions import has_any_staff_role, roles_with_orgs
from app.services import activities as activities_service
from app.services import activity_attendance, activity_signups, todos, wish_categories, wish_views
from app.services import checkins as checkins_service
from app.services import demonstration as demonstration_service
from app.services import notifications as notifications_service
from app.services import push as push_service
from app.services import shifts as shifts_service
from app.services import stations as stations_service
from app.services import teams as teams_service
from app.services.activities import CLOSE_UNDO_WINDOW
from app.services.users import default_name


async def home(session: AsyncSession, *, user: User) -> dict:
    """The home page: what waits for the person ("待您处理"), the compound's wish wall, nearby
    stations, upcoming activities."""
    home_org = await session.get(Org, user.home_org_id) if user.home_org_id else None
    waiting = await todos.mine(session, user=user)
    is_staff = await has_any_staff_role(session, user_id=user.id)
    if is_staff:
        waiting += todos.staff_cards(await todos.staff_counts(session, user=user))
    # First sign-in: the account is named 用户1234 and lives nowhere; ask both on home, once.
    welcome = home_org is None or user.name == default_name(user.phone)
    return {
        "home_org": home_org,
        "is_staff": is_staff,
        "welcome": welcome,
        "home_choices": await _home_choices(session) if welcome else [],
        "todos": waiting,
        "wishes": await wish_views.wall(session, user=user, limit=5),
        "stations": await stations_service.nearest_for_user(session, user=user, limit=3),
        "activities": await activities_service.upcoming_for_user(session, user=user, limit=3),
    }


async def _home_choices(session: AsyncSession) -> list[Org]:
    """The communities and compounds a person may say they live in, in tree order."""
    stmt = (
        select(Org).where(Org.kind.in_((OrgKind.compound, OrgKind.community))).order_by(Org.path).limit(500)
    )
    return list((await session.exec(stmt)).all())


async def me(session: AsyncSession, *, user: User) -> dict:
    return {
        "home_choices": await _home_choices(session),
        "roles": await _roles(session, user=user),
        "push": await push_service.get_settings_for(session, user=user),
    }


async def notifications(session: AsyncSession, *, user: User) -> dict:
    """The person's messages, newest first, grouped by China day (newest day first)."""
    items, _ = await notifications_service.list_mine(
        session, user=user, unread=False, params=PageParams(limit=100)
    )
    days: list[tuple[date, list]] = []
    for item in items:
        day = item.created_at.astimezone(CHINA).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(item)
    return {"days": days, "unread": sum(1 for i in items if i.read_at is None)}


# The staff console's sections, and who sees each: "place" = a role on the territorial tree
# (alliance, community, compound, grid), "place_admin" = an admin role there, "unit" = a role on a
# member unit, "any" = any role. Nobody is offered a section that would answer 403: a hospital's
# unit admin sees its resources, reports and activities, not station registration.
ADMIN_LINKS = [
    ("/admin/wishes", "心愿审核与验收", "place"),
    ("/admin/reports", "在职党员报到、岗位与反馈", "any"),
    ("/admin/events", "网格事件分派与督查", "place"),
    ("/admin/stations", "红色驿站与值班", "place_admin"),
    ("/timebank/rewards/manage", "爱心超市（兑换与上架）", "place"),
    ("/admin/activities", "活动与签到", "any"),
    ("/admin/resources", "共建单位服务资源清单", "unit"),
    ("/teams", "志愿服务队、党员先锋队", "any"),
    ("/demonstration-posts", "党员示范岗（设立与公示）", "place"),
    ("/admin/meetings", "会议纪要、督办与轮值主席", "any"),
    ("/admin/assessments", "共驻共建考核（评分、审定、排名）", "place_admin"),
    ("/admin/stats", "台账统计与四项清单导出", "any"),
]


def admin_links_for(roles: list[tuple[Role, Org]], *, runs_a_station: bool = False) -> list[tuple[str, str]]:
    """The console sections this person's roles open (station masters also see their stations)."""
    held = {"any"} if roles else set()
    for role, org in roles:
        held.add("unit" if org.kind == OrgKind.unit else "place")
        if org.kind != OrgKind.unit and role.role == "admin":
            held.add("place_admin")
    if runs_a_station:
        held.add("place_admin")
    return [(href, label) for href, label, who in ADMIN_LINKS if who in held]


# Which to-do counts show beside which console section.
ADMIN_COUNTS = {
    "/admin/wishes": ("wish_review", "wish_verify"),
    "/admin/events": ("event_dispatch", "event_handle", "event_check"),
    "/admin/reports": ("report_review",),
}


async def admin(session: AsyncSession, *, user: User) -> dict:
    """The console's entrance: the person's roles and each section with what waits in it."""
    counts = await todos.staff_counts(session, user=user)
    pending = {href: sum(counts[k] for k in keys) for href, keys in ADMIN_COUNTS.items()}
    rows = await roles_with_orgs(session, user_id=user.id)
    runs_a_station = await stations_service.runs_any(session, actor=user)
    return {
        "roles": _role_rows(rows),
        "admin_links": admin_links_for(rows, runs_a_station=runs_a_station),
        "pending": pending,
    }


# --- wishes -------------------------------------------------------------------------------------------


async def wish_wall(session: AsyncSession, *, user: User, category: str | None) -> dict:
    """The wall of the viewer's compound, by category (an unknown category shows them all)."""
    categories = await wish_categories.categories_for(session, org_id=user.home_org_id)
    wishes = await wish_views.wall(
        session, user=user, category=category if category in categories else None, limit=50
    )
    return {"wishes": wishes, "category": category, "categories": categories}


async def new_wish(session: AsyncSession, *, user: User) -> dict:
    return {"categories": await wish_categories.categories_for(session, org_id=user.home_org_id)}


# --- activities ---------------------------------------------------------------------------------------


async def activities(session: AsyncSession, *, user: User, past: bool) -> dict:
    items, _ = await activities_service.list_activities(
        session, org_id=None, upcoming=not past, params=PageParams(limit=50), viewer=user
    )
    return {"activities": items, "past": past}


async def activities_admin(session: AsyncSession, *, user: User) -> dict:
    """The activities a person organises and the orgs they may publish for (403 if neither)."""
    orgs = await activities_service.staff_orgs(session, actor=user)
    activities = await activities_service.admin_list(session, actor=user)
    if not orgs and not activities:
        raise Forbidden("仅社区工作人员可以发布活动")
    hosted = await activities_service.host_places(session, actor=user)
    # Teams that may run it: the active teams of the alliance (its own community's first).
    teams = await teams_service.dispatch_choices(session, place=orgs[0]) if orgs else []
    return {"activities": activities, "orgs": orgs, "hosted": hosted, "kinds": ACTIVITY_KINDS, "teams": teams}


async def activity(session: AsyncSession, *, activity_id: int, user: User) -> dict:
    """One activity, the viewer's ticket, and the numbers for its organisers."""
    detail = await activities_service.activity_detail(session, activity_id=activity_id, viewer=user)
    ticket = await activity_signups.ticket_svg(session, activity_id=activity_id, actor=user)
    numbers = None
    if detail.is_organiser:
        numbers = await activity_attendance.activity_stats(session, activity_id=activity_id, actor=user)
    # The organiser's "undo the close" button, shown for the seconds of the window left.
    undo_seconds = 0
    if detail.is_organiser and detail.undo_close_until is not None:
        undo_seconds = max(1, int((detail.undo_close_until - clock.now()).total_seconds()))
    return {
        "activity": detail,
        "ticket_svg": ticket,
        "stats": numbers,
        "undo_seconds": undo_seconds,
        "undo_minutes": CLOSE_UNDO_WINDOW // timedelta(minutes=1),
    }


async def activity_roster(session: AsyncSession, *, activity_id: int, user: User) -> dict:
    """The organiser's list of an activity (403 for anyone else)."""
    rows = await activity_attendance.roster(session, activity_id=activity_id, actor=user)
    return {"activity": await activities_service.get_activity(session, activity_id=activity_id), "rows": rows}


async def activity_screen(session: AsyncSession, *, activity_id: int, user: User) -> dict:
    return {
        "activity": await activities_service.get_activity(session, activity_id=activity_id),
        "state": await activity_attendance.screen_state(session, activity_id=activity_id, actor=user),
        "live_url": f"/activities/{activity_id}/screen/live",
    }


# --- stations -----------------------------------------------------------------------------------------


async def stations(session: AsyncSession, *, user: User, near: str | None, coord: str) -> dict:
    """Stations nearest first; a browser's GPS point (`coord=wgs84`) is shifted to GCJ-02 first."""
    point = stations_service.parse_near(near)
    if point and coord == "wgs84":
        near = "{:.6f},{:.6f}".format(*stations_service.wgs84_to_gcj02(*point))
    items, _ = await stations_service.list_stations(
        session, org_id=None, near=near, params=PageParams(limit=50), viewer=user
    )
    # What the map marks (when the page has a tile source): each station's place and name.
    points = [{"id": s.id, "name": s.name, "lat": s.lat, "lng": s.lng} for s in items]
    return {"stations": items, "near": near, "points": points}


async def stations_admin(session: AsyncSession, *, user: User) -> dict:
    """The stations a person runs and the orgs they may register one for (403 if neither)."""
    stations = await stations_service.admin_list(session, actor=user)
    orgs = await stations_service.admin_orgs(session, actor=user)
    if not stations and not orgs:
        raise Forbidden("仅驿站站长和社区工作人员可以进入")
    return {"stations": stations, "orgs": orgs, "service_choices": SERVICE_CHOICES}


async def station(session: AsyncSession, *, station_id: int, user: User) -> dict:
    """One station, its duty shifts, and whether the viewer runs it."""
    detail = await stations_service.station_detail(session, station_id=station_id, viewer=user)
    shifts = await shifts_service.list_shifts(session, station_id=station_id, viewer=user)
    runs = await stations_service.can_run(
        session, station=await stations_service.get_station(session, station_id=station_id), user=user
    )
    demo_posts = await demonstration_service.held_by(session, station_id=station_id)
    return {"station": detail, "shifts": shifts, "runs": runs, "demo_posts": demo_posts}


async def station_screen(session: AsyncSession, *, station_id: int, user: User) -> dict:
    return {
        "station": await stations_service.get_station(session, station_id=station_id),
        "state": await stations_service.screen_state(session, station_id=station_id, actor=user),
        "live_url": f"/stations/{station_id}/screen/live",
    }


# --- scan ---------------------------------------------------------------------------------------------


async def scan(session: AsyncSession, *, user: User, token: str | None, in_wechat: bool) -> dict:
    recent = await checkins_service.my_checkins(session, user=user, limit=5)
    return {"token": token or "", "in_wechat": in_wechat, "recent": recent}


async def _roles(session: AsyncSession, *, user: User) -> list[dict]:
    return _role_rows(await roles_with_orgs(session, user_id=user.id))


def _role_rows(rows: list[tuple[Role, Org]]) -> list[dict]:
    """The person's roles as the pages list them: the node, its kind, the role's label."""
    return [
        {
            "org_id": org.id,
            "org_name": org.name,
            "kind": KIND_LABELS.get(org.kind, org.kind),
            "role": role.role,
            "label": ROLE_LABELS.get(role.role, role.role),
        }
        for role, org in rows
    ]
