"""Scanning a code (扫码签到): a station visit, the start or end of a duty, or an activity sign-in.

One row per person and code window, ever: the unique (user_id, code_key) constraint decides, and a
retry gets the first record back with `duplicate: true`. A scan's coordinates are used to judge a
printed card and then dropped (PIPL: 行踪轨迹); only the distance is kept.
"""

import hashlib
import secrets
import time
from datetime import timedelta

import httpx
from sqlalchemy import func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.config import Settings
from app.db import dialect_insert
from app.errors import BadRequest, Conflict, RateLimited
from app.models.activities import Activity
from app.models.stations import (
    Checkin,
    CheckinIn,
    CheckinKind,
    CheckinPublic,
    CodeFailure,
    Station,
    StationStatus,
)
from app.models.user import User
from app.services import activity_attendance, qr
from app.services import shifts as shifts_service
from app.services import stations as stations_service

MAX_ACCURACY_M = 500  # a fix vaguer than this cannot place anyone at a station
# Typed short codes are six digits: a person gets this many misses per window before a pause.
SHORT_CODE_MISSES = 10
SHORT_CODE_WINDOW = timedelta(minutes=10)

MESSAGES = {
    CheckinKind.visit: "到站签到成功，欢迎来到{place}",
    CheckinKind.duty_start: "值班开始，辛苦了！{place}",
    CheckinKind.duty_end: "值班结束，感谢您的付出！{place}",
    CheckinKind.activity: "活动签到成功：{place}",
}


def _public(row: Checkin, *, place: str, duplicate: bool, credited: int | None = None) -> CheckinPublic:
    message = MESSAGES[CheckinKind(row.kind)].format(place=place)
    if duplicate:
        message = "您已签到过，无需重复扫码。" + message
    return CheckinPublic(
        id=row.id,
        kind=row.kind,
        at=row.at,
        duplicate=duplicate,
        station_id=row.station_id,
        activity_id=row.activity_id,
        shift_id=row.shift_id,
        place=place,
        distance_m=row.distance_m,
        credited_minutes=credited,
        message=message,
    )


async def check_in(session: AsyncSession, *, data: CheckinIn, actor: User) -> CheckinPublic:
    """Scan a station or activity code: a visit, a duty start/end, or an activity sign-in."""
    now = clock.now()
    code = await read_code(session, text=data.token, actor=actor, at=now)
    if code.kind == "t":
        raise qr.InvalidToken("这是个人入场码，请出示给活动组织者扫描")
    if code.kind == "a":
        return await _activity(session, code=code, actor=actor)
    station = await stations_service.get_station(session, station_id=code.object_id)
    if station.status != StationStatus.open:
        raise Conflict("驿站暂停开放", code="station_closed")
    distance = None
    if data.lat is not None and data.lng is not None:
        lat, lng = data.lat, data.lng
        if data.coord_type == "wgs84":
            lat, lng = stations_service.wgs84_to_gcj02(lat, lng)
        distance = stations_service.distance_m(lat, lng, station.lat, station.lng)
    window = code.n
    if code.kind == "c":
        _judge_card(station, version=code.n, distance=distance, accuracy=data.accuracy)
        window = qr.window_of(now)  # a card has no window of its own: the scan's moment stands in
    # A card visit keeps its own key, so the live code scanned right after it can still start a duty.
    key = f"{'c' if code.kind == 'c' else 's'}:{station.id}:{window}"
    # A printed card can be photographed and its station's coordinates are public, so a card scan records
    # a visit only: starting or ending a duty (which earns minutes) needs the live code on the station's screen.
    kind, shift_id, duty = (
        CheckinKind.visit,
        None,
        None
        if code.kind == "c"
        else await shifts_service.active_signup(session, station_id=station.id, user_id=actor.id, at=now),
    )
    if duty:
        signup, shift = duty
        shift_id = shift.id
        if signup.started_at is None:
            kind = CheckinKind.duty_start
        elif now - signup.started_at < shifts_service.MIN_DUTY:
            start = (
                await session.exec(
                    select(Checkin).where(
                        Checkin.user_id == actor.id,
                        Checkin.shift_id == shift.id,
                        Checkin.kind == CheckinKind.duty_start,
                    )
                )
            ).first()
            if start:
                return _public(start, place=station.name, duplicate=True)
        else:
            kind = CheckinKind.duty_end
    values = {
        "user_id": actor.id,
        "code_key": key,
        "kind": kind.value,
        "station_id": station.id,
        "shift_id": shift_id,
        "distance_m": distance,
        "at": now,
    }
    new_id = await _insert_once(session, values)
    if new_id is None:  # this person already scanned this code in this window: the first record stands
        existing = await _existing(session, actor.id, key)
        return _public(existing, place=station.name, duplicate=True)
    row = Checkin(id=new_id, **values)
    credited = None
    if kind == CheckinKind.duty_start:
        if not await shifts_service.start_duty(session, signup=signup, at=now):
            row.kind = CheckinKind.visit
    elif kind == CheckinKind.duty_end:
        credited = await shifts_service.end_duty(
            session, signup=signup, shift=shift, station=station, at=now, actor_id=actor.id
        )
        if credited is None:
            row.kind = CheckinKind.visit
    if row.kind != kind:
        await session.exec(update(Checkin).where(Checkin.id == new_id).values(kind=row.kind))
    await session.commit()
    return _public(row, place=station.name, duplicate=False, credited=credited)


async def _insert_once(session: AsyncSession, values: dict) -> int | None:
    """INSERT … ON CONFLICT (user_id, code_key) DO NOTHING: the new id, or None if the row already exists.

    One statement instead of a savepoint, a flush and a rollback: the unique constraint decides.
    """
    stmt = (
        dialect_insert(session, Checkin)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "code_key"])
        .returning(Checkin.id)
    )
    return (await session.exec(stmt)).scalar_one_or_none()


async def read_code(session: AsyncSession, *, text: str, actor: User, at) -> qr.Code:
    """Verify a scanned or typed code; typed short codes that miss are counted, and too many pause the person."""
    if not qr.is_short(text):
        return qr.read(text, at=at)
    since = at - SHORT_CODE_WINDOW
    misses = (
        await session.exec(
            select(func.count())
            .select_from(CodeFailure)
            .where(CodeFailure.user_id == actor.id, CodeFailure.at >= since)
        )
    ).one()
    if misses >= SHORT_CODE_MISSES:
        raise RateLimited("签到码输错次数过多，请 10 分钟后再试，或直接扫描二维码", code="too_many_attempts")
    try:
        return qr.read(text, at=at)
    except qr.InvalidToken:
        session.add(CodeFailure(user_id=actor.id, at=at))
        await session.commit()  # the miss must count even though this request fails
        raise


def _judge_card(station: Station, *, version: int, distance: int | None, accuracy: float | None) -> None:
    if not station.card_enabled:
        raise Conflict("该驿站未启用纸质码，请扫描现场屏幕上的动态码", code="card_not_enabled")
    if version != station.card_version:
        raise qr.InvalidToken("该纸质码已作废，请扫描驿站新的纸质码或现场屏幕上的动态码", code="card_revoked")
    if distance is None:
        raise BadRequest("扫纸质码签到需要开启定位，请允许获取位置后重试", code="location_required")
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        raise BadRequest("定位不够准确，请到开阔处重试", code="location_inaccurate")
    # The reported accuracy widens the circle a little, never beyond twice the station's radius.
    allowed = station.radius_m + min(accuracy or 0, station.radius_m)
    if distance > allowed:
        raise Conflict(
            f"您距离驿站约 {distance} 米，请到驿站现场扫码",
            code="too_far_from_station",
            extra={"distance_m": distance},
        )


async def _existing(session: AsyncSession, user_id: int, key: str) -> Checkin | None:
    return (
        await session.exec(select(Checkin).where(Checkin.user_id == user_id, Checkin.code_key == key))
    ).first()


async def _activity(session: AsyncSession, *, code: qr.Code, actor: User) -> CheckinPublic:
    activity = await session.get(Activity, code.object_id)
    if activity is None:
        raise qr.InvalidToken("活动不存在或已删除")
    _, checkin, duplicate = await activity_attendance.attend(
        session, activity=activity, user=actor, method="code", acted_by_id=None
    )
    await session.commit()
    return _public(checkin, place=activity.title, duplicate=duplicate)


async def my_checkins(session: AsyncSession, *, user: User, limit: int = 20) -> list[CheckinPublic]:
    """The user's own recent scans."""
    rows = (
        await session.exec(
            select(Checkin)
            .where(Checkin.user_id == user.id)
            .order_by(Checkin.at.desc(), Checkin.id.desc())
            .limit(limit)
        )
    ).all()
    names: dict[tuple[str, int], str] = {}
    station_ids = {r.station_id for r in rows if r.station_id}
    activity_ids = {r.activity_id for r in rows if r.activity_id}
    if station_ids:
        for s in (await session.exec(select(Station).where(Station.id.in_(station_ids)))).all():
            names[("s", s.id)] = s.name
    if activity_ids:
        for a in (await session.exec(select(Activity).where(Activity.id.in_(activity_ids)))).all():
            names[("a", a.id)] = a.title
    return [
        _public(
            r, place=names.get(("s", r.station_id)) or names.get(("a", r.activity_id), ""), duplicate=False
        )
        for r in rows
    ]


# The JS-SDK ticket, cached per process until shortly before WeChat expires it (7200 s).
_jsapi: dict = {"ticket": None, "until": 0.0}


async def _jsapi_ticket(http: httpx.AsyncClient, settings: Settings) -> str | None:
    if _jsapi["ticket"] and time.monotonic() < _jsapi["until"]:
        return _jsapi["ticket"]
    base = settings.wechat_api_base
    try:
        token = (
            (
                await http.get(
                    f"{base}/cgi-bin/token",
                    timeout=10,
                    params={
                        "grant_type": "client_credential",
                        "appid": settings.wechat_app_id,
                        "secret": settings.wechat_app_secret,
                    },
                )
            )
            .json()
            .get("access_token")
        )
        if not token:
            return None
        data = (
            await http.get(
                f"{base}/cgi-bin/ticket/getticket",
                timeout=10,
                params={"access_token": token, "type": "jsapi"},
            )
        ).json()
    except (httpx.HTTPError, ValueError):
        return None
    if not data.get("ticket"):
        return None
    _jsapi.update(ticket=data["ticket"], until=time.monotonic() + int(data.get("expires_in", 7200)) - 300)
    return data["ticket"]


async def jssdk_config(http: httpx.AsyncClient, settings: Settings, *, url: str) -> dict | None:
    """The signed wx.config for a page of ours (to open WeChat's scanner), or None outside a configured WeChat."""
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        return None
    if not url.startswith(settings.public_base_url.rstrip("/") + "/"):
        return None
    ticket = await _jsapi_ticket(http, settings)
    if not ticket:
        return None
    nonce, stamp = secrets.token_hex(8), int(time.time())
    raw = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={stamp}&url={url.split('#')[0]}"
    return {
        "appId": settings.wechat_app_id,
        "timestamp": stamp,
        "nonceStr": nonce,
        "signature": hashlib.sha1(raw.encode()).hexdigest(),
    }
