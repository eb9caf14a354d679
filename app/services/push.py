"""Push reminders outside the app: queued with the change that causes them, sent by a timed job.

`enqueue` runs inside the caller's transaction (from `notifications.notify`), so a reminder exists
exactly when the change committed. `deliver_pending` claims each queued message with a conditional
update (safe in several processes), sends it, and records the outcome; a failure is retried up to
three times. WeChat reaches a person through a subscribe message (订阅通知, sent with the Official
Account's access token) to their bound openid; someone with no WeChat binding gets an SMS.
"""

import logging
import time
from datetime import timedelta

import httpx
from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.config import Settings, get_settings
from app.models.push import PushMessage, PushSetting, PushSettingsIn, PushSettingsPublic
from app.models.user import User
from app.services import sms as sms_service
from app.services.todos import TODO_KINDS

log = logging.getLogger("ejia.push")

MAX_ATTEMPTS = 3
STALE_CLAIM = timedelta(minutes=10)  # a message claimed this long ago by a process that died is retried


class PushFailed(Exception):
    pass


# ---- settings ----


async def _setting(session: AsyncSession, user_id: int) -> PushSetting:
    return await session.get(PushSetting, user_id) or PushSetting(user_id=user_id)


async def get_settings_for(session: AsyncSession, *, user: User) -> PushSettingsPublic:
    s = await _setting(session, user.id)
    return PushSettingsPublic(
        wechat=s.wechat, sms=s.sms, updates=s.updates, wechat_bound=bool(user.wechat_openid)
    )


async def update_settings(session: AsyncSession, *, user: User, data: PushSettingsIn) -> PushSettingsPublic:
    """Change which reminders the person receives outside the app."""
    s = await _setting(session, user.id)
    for field, value in data.model_dump(exclude_none=True).items():
        setattr(s, field, value)
    session.add(s)
    await session.commit()
    return await get_settings_for(session, user=user)


# ---- queueing ----


def wechat_ready(settings: Settings) -> bool:
    return bool(settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_subscribe_template)


async def enqueue(
    session: AsyncSession, *, user_id: int, kind: str, title: str, body: str, link: str | None
) -> PushMessage | None:
    """Queue a reminder for a notification (to-dos always, other news if the person asked for it)."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    choice = await _setting(session, user_id)
    if kind not in TODO_KINDS and not choice.updates:
        return None
    if user.wechat_openid and choice.wechat and wechat_ready(get_settings()):
        channel = "wechat"
    elif choice.sms and user.phone and not (user.wechat_openid and choice.wechat):
        channel = "sms"
    else:
        return None
    message = PushMessage(
        user_id=user_id, channel=channel, kind=kind, title=title[:60], body=body[:300], link=link
    )
    session.add(message)
    await session.flush()
    return message


async def enqueue_sms(
    session: AsyncSession, *, user_id: int, kind: str, title: str, body: str, link: str | None
) -> PushMessage | None:
    """Queue an SMS whatever the person's settings (someone staff act for, who has no app to read it in)."""
    user = await session.get(User, user_id)
    if user is None or not user.phone:
        return None
    message = PushMessage(
        user_id=user_id, channel="sms", kind=kind, title=title[:60], body=body[:300], link=link
    )
    session.add(message)
    await session.flush()
    return message


# ---- channels ----

_tokens: dict[tuple[str, str], tuple[str, float]] = {}


async def _access_token(http: httpx.AsyncClient, settings: Settings, *, fresh: bool = False) -> str:
    """The Official Account's access token (client_credential), kept until shortly before it expires."""
    key = (settings.wechat_api_base, settings.wechat_app_id)
    cached = _tokens.get(key)
    if cached and not fresh and cached[1] > time.monotonic():
        return cached[0]
    resp = await http.get(
        f"{settings.wechat_api_base.rstrip('/')}/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": settings.wechat_app_id,
            "secret": settings.wechat_app_secret,
        },
        timeout=10,
    )
    data = resp.json()
    if not data.get("access_token"):
        raise PushFailed(f"wechat token: {data.get('errcode')} {data.get('errmsg')}")
    _tokens[key] = (data["access_token"], time.monotonic() + int(data.get("expires_in", 7200)) - 300)
    return data["access_token"]


async def send_wechat(http: httpx.AsyncClient, settings: Settings, message: PushMessage, user: User) -> None:
    """One subscribe message (订阅通知 bizsend) to the person's openid, opening the page it is about."""
    when = message.created_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
    payload = {
        "touser": user.wechat_openid,
        "template_id": settings.wechat_subscribe_template,
        "page": settings.public_base_url.rstrip("/") + (message.link or "/"),
        "data": {
            "thing1": {"value": message.title[:20]},
            "thing2": {"value": (message.body or message.title)[:20]},
            "time3": {"value": when},
        },
    }
    for attempt in (1, 2):
        token = await _access_token(http, settings, fresh=attempt == 2)
        resp = await http.post(
            f"{settings.wechat_api_base.rstrip('/')}/cgi-bin/message/subscribe/bizsend",
            params={"access_token": token},
            json=payload,
            timeout=10,
        )
        data = resp.json()
        if data.get("errcode", 0) == 0:
            return
        if data.get("errcode") not in (40001, 42001):  # anything but an expired token: give up
            break
    raise PushFailed(f"wechat: {data.get('errcode')} {data.get('errmsg')}")


async def send_sms(http: httpx.AsyncClient, settings: Settings, message: PushMessage, user: User) -> None:
    if not user.phone:
        raise PushFailed("no phone")
    try:
        await sms_service.get_sender(settings, http).send_notice(user.phone, message.title)
    except sms_service.SmsUnavailable as exc:
        raise PushFailed(f"sms: {exc.detail}") from exc


CHANNELS = {"wechat": send_wechat, "sms": send_sms}


# ---- delivery ----


def _claimable(now):
    return or_(
        PushMessage.status == "pending",
        and_(PushMessage.status == "sending", PushMessage.claimed_at < now - STALE_CLAIM),
    )


async def deliver_pending(
    session: AsyncSession,
    *,
    settings: Settings | None = None,
    http: httpx.AsyncClient | None = None,
    limit: int = 50,
) -> int:
    """Send queued reminders (the timed job); returns how many went out."""
    settings = settings or get_settings()
    if http is None:
        async with httpx.AsyncClient() as client:
            return await deliver_pending(session, settings=settings, http=client, limit=limit)
    now = clock.now()
    ids = (
        await session.exec(
            select(PushMessage.id).where(_claimable(now)).order_by(PushMessage.id).limit(limit)
        )
    ).all()
    sent = 0
    for message_id in ids:
        claimed = await session.exec(
            update(PushMessage)
            .where(PushMessage.id == message_id, _claimable(now))
            .values(status="sending", claimed_at=now, attempts=col(PushMessage.attempts) + 1)
        )
        await session.commit()
        if claimed.rowcount != 1:
            continue  # another process has it
        message = await session.get(PushMessage, message_id)
        user = await session.get(User, message.user_id)
        try:
            await CHANNELS[message.channel](http, settings, message, user)
        except (PushFailed, httpx.HTTPError, ValueError) as exc:
            log.warning("push %s via %s failed: %s", message.id, message.channel, exc)
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
            message.error = str(exc)[:200]
        else:
            message.status, message.sent_at, message.error = "sent", clock.now(), None
            sent += 1
        session.add(message)
        await session.commit()
    return sent
