"""Red courier stations: the register, who runs each one, its live code, and its numbers."""

import math
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import china_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.org import Org, OrgKind
from app.models.stations import (
    Checkin,
    CheckinKind,
    QrToken,
    Station,
    StationCreate,
    StationDay,
    StationDeputy,
    StationPublic,
    StationUpdate,
)
from app.models.user import User
from app.pagination import PageParams, decode_cursor, encode_cursor, paginate
from app.permissions import (
    ADMIN_ONLY,
    STAFF_ROLES,
    alliance_path_of,
    ancestor_path,
    covered_by_role,
    has_role_over,
    in_subtree,
    may_see_published,
    published_to,
    require_role_over,
)
from app.services import audit, figures, lookups, qr
from app.services import orgs as orgs_service
from app.services import users as users_service
from app.services.opening_hours import open_now

EARTH_RADIUS_M = 6_371_000
NEAR_SCAN_LIMIT = 2000  # stations ranked in one `near` query (a county has hundreds)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle (haversine) distance in metres; GCJ-02 points compare fine at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """A phone's GPS point (WGS-84, as browsers report it) in GCJ-02, the datum Chinese maps use."""
    if not (0.8293 <= lat <= 55.8271 and 72.004 <= lng <= 137.8347):
        return lat, lng  # outside China the two coincide
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    dlng = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (a / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


def parse_near(near: str | None) -> tuple[float, float] | None:
    """`"lat,lng"` → (lat, lng); None if absent; ValidationFailed if malformed."""
    if not near:
        return None
    try:
        lat_s, lng_s = near.split(",")
        lat, lng = float(lat_s), float(lng_s)
    except ValueError:
        raise ValidationFailed("位置格式应为 纬度,经度", code="invalid_near") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationFailed("位置超出范围", code="invalid_near")
    return lat, lng


async def get_station(session: AsyncSession, *, station_id: int, viewer: User | None = None) -> Station:
    """The station, or 404; with `viewer`, 404 too unless it is theirs to see (`may_see_published`)."""
    station = await session.get(Station, station_id)
    if station is None or (
        viewer is not None and not await may_see_published(session, person=viewer, org_id=station.org_id)
    ):
        raise NotFound("驿站不存在", code="station_not_found")
    return station


async def can_run(session: AsyncSession, *, station: Station, user: User) -> bool:
    """Whether the user runs the station: its master, a deputy, or staff/admin over its org."""
    if station.master_id == user.id:
        return True
    deputy = (
        await session.exec(
            select(StationDeputy.id).where(
                StationDeputy.station_id == station.id, StationDeputy.user_id == user.id
            )
        )
    ).first()
    if deputy is not None:
        return True
    return await has_role_over(session, user_id=user.id, org_id=station.org_id, roles=STAFF_ROLES)


async def require_runner(session: AsyncSession, *, station: Station, user: User) -> None:
    if not await can_run(session, station=station, user=user):
        raise Forbidden("只有站长、副站长或社区工作人员可以操作")


async def to_public(
    session: AsyncSession,
    stations: list[Station],
    *,
    viewer: User,
    show_phones: bool = False,
    distances: dict[int, int] | None = None,
) -> list[StationPublic]:
    """Stations with their master and deputies (phones masked unless `show_phones`)."""
    ids = [s.id for s in stations]
    deputies: dict[int, list[User]] = {}
    people: dict[int, User] = {}
    if ids:
        rows = (
            await session.exec(
                select(StationDeputy.station_id, User)
                .join(User, User.id == StationDeputy.user_id)
                .where(StationDeputy.station_id.in_(ids))
                .order_by(StationDeputy.id)
            )
        ).all()
        for station_id, user in rows:
            deputies.setdefault(station_id, []).append(user)
        master_ids = {s.master_id for s in stations if s.master_id}
        if master_ids:
            people = await lookups.users_by_id(session, master_ids)
    out = []
    now = clock.now()
    for s in stations:
        master = people.get(s.master_id) if s.master_id else None
        out.append(
            StationPublic(
                id=s.id,
                org_id=s.org_id,
                name=s.name,
                address=s.address,
                lat=s.lat,
                lng=s.lng,
                radius_m=s.radius_m,
                open_hours=s.open_hours,
                phone=s.phone,
                services=list(s.services),
                status=s.status,
                open_now=open_now(s.open_hours, now),
                card_enabled=s.card_enabled,
                master=lookups.person_brief(master, show_phone=show_phones or master.id == viewer.id)
                if master
                else None,
                deputies=[
                    lookups.person_brief(u, show_phone=show_phones or u.id == viewer.id)
                    for u in deputies.get(s.id, [])
                ],
                distance_m=(distances or {}).get(s.id),
            )
        )
    return out


async def _set_people(
    session: AsyncSession, station: Station, *, master_phone: str | None, deputy_phones: list[str] | None
) -> None:
    if master_phone:
        station.master_id = (
            await users_service.get_or_create_by_phone(
                session, phone=master_phone, registered_at=station.org_id
            )
        ).id
    if deputy_phones is not None:
        await session.exec(delete(StationDeputy).where(StationDeputy.station_id == station.id))
        for phone in dict.fromkeys(deputy_phones):
            person = await users_service.get_or_create_by_phone(
                session, phone=phone, registered_at=station.org_id
            )
            session.add(StationDeputy(station_id=station.id, user_id=person.id))
    session.add(station)
    await session.flush()


async def create_station(session: AsyncSession, *, data: StationCreate, actor: User) -> StationPublic:
    """Register a station under an org node the actor administers."""
    org = await orgs_service.get_org(session, org_id=data.org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id, roles=ADMIN_ONLY)
    station = Station(
        org_id=org.id,
        name=data.name,
        address=data.address,
        lat=data.lat,
        lng=data.lng,
        radius_m=data.radius_m,
        open_hours=data.open_hours,
        phone=data.phone,
        services=list(dict.fromkeys(data.services)),
        card_enabled=data.card_enabled,
        created_by_id=actor.id,
    )
    session.add(station)
    await session.flush()
    await _set_people(session, station, master_phone=data.master_phone, deputy_phones=data.deputy_phones)
    await audit.record(
        session,
        actor_id=actor.id,
        action="station.create",
        object_type="station",
        object_id=station.id,
        org_id=org.id,
        detail={"name": station.name},
    )
    await session.commit()
    return (await to_public(session, [station], viewer=actor, show_phones=True))[0]


async def update_station(
    session: AsyncSession, *, station_id: int, data: StationUpdate, actor: User
) -> StationPublic:
    """Change a station's details, status or people (staff/admin over its org; the master for hours and status)."""
    station = await get_station(session, station_id=station_id)
    changes = data.model_dump(exclude_unset=True)
    is_staff = await has_role_over(session, user_id=actor.id, org_id=station.org_id, roles=STAFF_ROLES)
    master_fields = {"open_hours", "status", "services"}
    if not is_staff and not (station.master_id == actor.id and set(changes) <= master_fields):
        raise Forbidden("只有社区工作人员可以修改驿站信息（站长可修改开放时间、服务和状态）")
    master_phone = changes.pop("master_phone", None)
    deputy_phones = changes.pop("deputy_phones", None)
    for key, value in changes.items():
        setattr(station, key, list(dict.fromkeys(value)) if key == "services" else value)
    await _set_people(session, station, master_phone=master_phone, deputy_phones=deputy_phones)
    await audit.record(
        session,
        actor_id=actor.id,
        action="station.update",
        object_type="station",
        object_id=station.id,
        org_id=station.org_id,
        detail={"fields": sorted(data.model_dump(exclude_unset=True))},
    )
    await session.commit()
    return (await to_public(session, [station], viewer=actor, show_phones=True))[0]


async def list_stations(
    session: AsyncSession, *, org_id: int | None, near: str | None, params: PageParams, viewer: User
) -> tuple[list[StationPublic], str | None]:
    """Stations (in org_id's subtree if given); with `near`, nearest first with `distance_m`."""
    point = parse_near(near)
    stmt = select(Station)
    if org_id is not None:
        org = await orgs_service.get_org(session, org_id=org_id)
        stmt = stmt.where(in_subtree(Station.org_id, org.path))
    seen = published_to(viewer, await alliance_path_of(session, viewer), Station.org_id)
    if seen is not None:
        stmt = stmt.where(seen)
    if point is None:
        rows, cursor = await paginate(session, stmt, Station.id, params, newest_first=False)
        return await to_public(session, rows, viewer=viewer), cursor
    # Ranked in Python: haversine needs trigonometry SQLite may lack, and a county has hundreds of stations.
    rows = list((await session.exec(stmt.order_by(Station.id).limit(NEAR_SCAN_LIMIT))).all())
    distances = {s.id: distance_m(point[0], point[1], s.lat, s.lng) for s in rows}
    rows.sort(key=lambda s: (distances[s.id], s.id))
    offset = decode_cursor(params.cursor) if params.cursor else 0
    page = rows[offset : offset + params.limit]
    more = offset + params.limit < len(rows)
    items = await to_public(session, page, viewer=viewer, distances=distances)
    return items, encode_cursor(offset + params.limit) if more else None


async def station_detail(
    session: AsyncSession, *, station_id: int, viewer: User, near: str | None = None
) -> StationPublic:
    """One station; phones shown in full to those who run it."""
    station = await get_station(session, station_id=station_id, viewer=viewer)
    point = parse_near(near)
    distances = {station.id: distance_m(point[0], point[1], station.lat, station.lng)} if point else None
    show = await can_run(session, station=station, user=viewer)
    return (await to_public(session, [station], viewer=viewer, show_phones=show, distances=distances))[0]


async def nearest_for_user(
    session: AsyncSession, *, user: User, near: str | None = None, limit: int = 3
) -> list[StationPublic]:
    """For the home page: the stations nearest `near`, else those of the user's community, else any."""
    point = parse_near(near)
    stmt = select(Station).where(Station.status == "open")
    seen = published_to(user, await alliance_path_of(session, user), Station.org_id)
    if seen is not None:  # their alliance's only (`may_see_published`)
        stmt = stmt.where(seen)
    if point is None and user.home_org_id:
        home = await session.get(Org, user.home_org_id)
        if home is not None:
            community_path = ancestor_path(home, 2)  # the alliance, then the community: "/1/5/"
            local = list(
                (
                    await session.exec(
                        stmt.where(in_subtree(Station.org_id, community_path))
                        .order_by(Station.id)
                        .limit(limit)
                    )
                ).all()
            )
            if local:
                return await to_public(session, local, viewer=user)
    rows = list(
        (await session.exec(stmt.order_by(Station.id).limit(NEAR_SCAN_LIMIT if point else limit))).all()
    )
    distances = None
    if point:
        distances = {s.id: distance_m(point[0], point[1], s.lat, s.lng) for s in rows}
        rows = sorted(rows, key=lambda s: (distances[s.id], s.id))[:limit]
    return await to_public(session, rows, viewer=user, distances=distances)


async def live_qr(session: AsyncSession, *, station_id: int, actor: User) -> QrToken:
    """The station's live signed code (master, deputies, staff): it rotates every 30 seconds."""
    station = await get_station(session, station_id=station_id)
    await require_runner(session, station=station, user=actor)
    token, expires_at, short = qr.live_token("s", station.id, at=clock.now())
    return QrToken(token=token, expires_at=expires_at, url=qr.scan_url(token), short_code=short)


async def card_qr(session: AsyncSession, *, station_id: int, actor: User) -> QrToken:
    """The station's printable card (only where it allows cards; scans then check the phone's location)."""
    station = await get_station(session, station_id=station_id)
    await require_runner(session, station=station, user=actor)
    if not station.card_enabled:
        raise Conflict("该驿站未启用纸质码，请使用现场屏幕上的动态码", code="card_not_enabled")
    token = qr.card_token(station.id, station.card_version)
    return QrToken(token=token, expires_at=clock.now() + timedelta(days=3650), url=qr.scan_url(token))


async def reissue_card(session: AsyncSession, *, station_id: int, actor: User) -> QrToken:
    """Print a new card for the station: every card printed before it stops working at once."""
    station = await get_station(session, station_id=station_id)
    await require_runner(session, station=station, user=actor)
    if not station.card_enabled:
        raise Conflict("该驿站未启用纸质码，请使用现场屏幕上的动态码", code="card_not_enabled")
    await session.exec(
        update(Station).where(Station.id == station.id).values(card_version=Station.card_version + 1)
    )
    await session.refresh(station, ["card_version"])
    await audit.record(
        session,
        actor_id=actor.id,
        action="station.card_reissued",
        object_type="station",
        object_id=station.id,
        org_id=station.org_id,
        detail={"card_version": station.card_version},
    )
    await session.commit()
    return await card_qr(session, station_id=station.id, actor=actor)


async def visits_per_day(
    session: AsyncSession, *, station_id: int, start: datetime, end: datetime
) -> list[StationDay]:
    """Visits (到站人次) to one station per China-time day in [start, end)."""
    day = china_day(Checkin.at).label("day")
    rows = (
        await session.exec(
            select(day, func.count())
            .where(
                Checkin.station_id == station_id,
                Checkin.kind == CheckinKind.visit,
                Checkin.at >= start,
                Checkin.at < end,
            )
            .group_by(day)
            .order_by(day)
        )
    ).all()
    return [StationDay(day=str(d), visits=n) for d, n in rows]


async def count_visits(session: AsyncSession, *, org_id: int, start: datetime, end: datetime) -> int:
    """Station visits in the subtree of org_id during [start, end) — for the stats endpoint (figures.rows)."""
    org = await session.get(Org, org_id)
    if org is None:
        return 0
    stmt = select(figures.count("station_visits", path=org.path, lo=start, hi=end, now=clock.now()))
    return int((await session.exec(stmt)).one())


async def live_count(session: AsyncSession, *, station_id: int) -> int:
    """Scans at the station since China-time midnight (for the station's screen)."""
    stmt = (
        select(func.count())
        .select_from(Checkin)
        .where(Checkin.station_id == station_id, Checkin.at >= clock.china_midnight())
    )
    return (await session.exec(stmt)).one()


def _run_by(actor: User):
    """SQL: the station is the actor's to run: staff over its node, its master or a deputy."""
    deputy_of = select(StationDeputy.station_id).where(StationDeputy.user_id == actor.id)
    return (
        covered_by_role(actor.id, Station.org_id)
        | (Station.master_id == actor.id)
        | Station.id.in_(deputy_of)
    )


async def admin_list(session: AsyncSession, *, actor: User, limit: int = 200) -> list[StationPublic]:
    """The stations the actor runs or is staff over (for /admin/stations)."""
    stmt = select(Station).where(_run_by(actor)).order_by(Station.id).limit(limit)
    rows = list((await session.exec(stmt)).all())
    return await to_public(session, rows, viewer=actor, show_phones=True)


async def runs_any(session: AsyncSession, *, actor: User) -> bool:
    """Whether the actor runs (or is staff over) at least one station: one indexed query."""
    return (await session.exec(select(Station.id).where(_run_by(actor)).limit(1))).first() is not None


async def screen_state(session: AsyncSession, *, station_id: int, actor: User) -> dict:
    """What the station's tablet shows now: the live code as SVG, its short form, today's count."""
    code = await live_qr(session, station_id=station_id, actor=actor)
    return {
        "svg": await qr.svg(code.url),
        "short_code": code.short_code,
        "expires_at": code.expires_at.isoformat(),
        "count": await live_count(session, station_id=station_id),
    }


async def admin_orgs(session: AsyncSession, *, actor: User) -> list[Org]:
    """The places in the subtrees the actor administers (where they may register stations; not units)."""
    stmt = select(Org).where(covered_by_role(actor.id, Org.id, ADMIN_ONLY), Org.kind != OrgKind.unit)
    return list((await session.exec(stmt.order_by(Org.path).limit(300))).all())
