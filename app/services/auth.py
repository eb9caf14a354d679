"""Signing in: SMS one-time codes with their limits, access tokens, WeChat bindings."""

import hmac
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.config import Settings
from app.db import advisory_lock
from app.errors import BadRequest, Conflict, Forbidden, RateLimited
from app.models.auth import OAuthStateUsed, SmsCode
from app.models.user import User
from app.permissions import belonging_org_id
from app.security import hash_otp, issue_access_token, mask_phone, new_otp
from app.services import audit
from app.services import users as users_service
from app.services.sms import SmsSender

RESEND_SECONDS = 60


async def request_code(
    session: AsyncSession, *, phone: str, ip: str, settings: Settings, sender: SmsSender
) -> str:
    """Issue a 6-digit code for `phone`, within the per-phone and per-IP limits; returns the code."""
    now = clock.now()
    await advisory_lock(session, f"otp:{phone}")
    recent = (
        await session.exec(
            select(func.count())
            .select_from(SmsCode)
            .where(SmsCode.phone == phone, SmsCode.created_at > now - timedelta(seconds=RESEND_SECONDS))
        )
    ).one()
    if recent:
        raise RateLimited(
            "验证码已发送，请60秒后再试",
            code="sms_too_frequent",
            headers={"Retry-After": str(RESEND_SECONDS)},
        )
    today = (
        await session.exec(
            select(func.count())
            .select_from(SmsCode)
            .where(SmsCode.phone == phone, SmsCode.created_at > now - timedelta(days=1))
        )
    ).one()
    if today >= settings.otp_per_phone_per_day:
        raise RateLimited("该手机号今日获取验证码次数已达上限，请明天再试", code="sms_daily_limit")
    if ip:
        per_ip = (
            await session.exec(
                select(func.count())
                .select_from(SmsCode)
                .where(SmsCode.ip == ip, SmsCode.created_at > now - timedelta(minutes=1))
            )
        ).one()
        if per_ip >= settings.otp_per_ip_per_minute:
            raise RateLimited(
                "当前网络请求验证码过于频繁，请稍后再试", code="sms_ip_limit", headers={"Retry-After": "60"}
            )
    code = new_otp()
    session.add(
        SmsCode(
            phone=phone,
            ip=ip,
            code_hash=hash_otp(settings, phone, code),
            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
        )
    )
    await session.flush()
    try:
        await sender.send_code(phone, code)
    except Exception:
        await session.rollback()  # a code that was never sent must not count against the limits
        raise
    await session.commit()
    return code


async def login_with_code(
    session: AsyncSession, *, phone: str, code: str, settings: Settings, wechat_openid: str | None = None
) -> tuple[str, User]:
    """Check the code (at most `otp_max_attempts` tries), create the user on first login, issue a token."""
    await use_code(session, phone=phone, code=code, settings=settings)
    user = await users_service.get_or_create_by_phone(session, phone=phone)
    token = token_for(settings, user)
    if wechat_openid:
        await bind_wechat(session, user=user, openid=wechat_openid)
    await session.commit()
    return token, user


async def change_phone(
    session: AsyncSession, *, user: User, phone: str, code: str, settings: Settings
) -> str:
    """Move the account to a new phone proven by a code sent to it; every older token is refused
    (the new one is returned). The old number is freed; a number in use by another account is 409."""
    if phone == user.phone:
        raise Conflict("新手机号与当前手机号相同", code="same_phone")
    taken = (await session.exec(select(User.id).where(User.phone == phone))).first()
    if taken is not None:
        raise Conflict("该手机号已注册其他账号，请联系社区工作人员处理", code="phone_taken")
    await use_code(session, phone=phone, code=code, settings=settings)
    old = user.phone
    try:
        async with session.begin_nested():
            await session.exec(
                update(User)
                .where(User.id == user.id)
                .values(phone=phone, token_version=User.token_version + 1)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # taken by another account in the same instant
        raise Conflict("该手机号已注册其他账号，请联系社区工作人员处理", code="phone_taken") from None
    await session.refresh(user)
    await audit.record(
        session,
        actor_id=user.id,
        action="user.change_phone",
        object_type="user",
        object_id=user.id,
        org_id=belonging_org_id(user),
        detail={"from": mask_phone(old), "to": mask_phone(phone)},
    )
    await session.commit()
    return token_for(settings, user)


def token_for(settings: Settings, user: User) -> str:
    """A fresh access token for a person who may sign in (a blocked account may not)."""
    if user.blocked_at is not None:
        raise Forbidden("该账号已被停用，如有疑问请联系社区工作人员", code="account_blocked")
    return issue_access_token(settings, user.id, user.token_version)


async def use_code(session: AsyncSession, *, phone: str, code: str, settings: Settings) -> None:
    """Spend the latest live code sent to `phone`, or raise (at most `otp_max_attempts` tries); flushes."""
    now = clock.now()
    row = (
        await session.exec(
            select(SmsCode)
            .where(SmsCode.phone == phone, SmsCode.used_at.is_(None), SmsCode.expires_at > now)
            .order_by(SmsCode.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise BadRequest("验证码错误或已过期，请重新获取", code="invalid_code", title="验证码无效")
    limit = settings.otp_max_attempts
    if not hmac.compare_digest(row.code_hash, hash_otp(settings, phone, code)):
        # Count the miss with a conditional update, so parallel guesses cannot exceed the limit;
        # the database says how many misses there now are.
        attempts = (
            await session.exec(
                update(SmsCode)
                .where(SmsCode.id == row.id, SmsCode.attempts < limit)
                .values(attempts=SmsCode.attempts + 1)
                .returning(SmsCode.attempts)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        await session.commit()
        if attempts is None or attempts >= limit:
            raise RateLimited("验证码错误次数过多，请重新获取验证码", code="too_many_attempts")
        raise BadRequest("验证码错误或已过期，请重新获取", code="invalid_code", title="验证码无效")
    # Use the code only while it still has tries left and is unused: one conditional update.
    used = await session.exec(
        update(SmsCode)
        .where(SmsCode.id == row.id, SmsCode.used_at.is_(None), SmsCode.attempts < limit)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        if row.attempts >= limit:
            raise RateLimited("验证码错误次数过多，请重新获取验证码", code="too_many_attempts")
        raise BadRequest("验证码已使用，请重新获取", code="invalid_code", title="验证码无效")


async def revoke_tokens(session: AsyncSession, *, user_id: int) -> None:
    """Refuse every access token the person holds (logout, sign out everywhere): bump their token
    version in one conditional statement, so concurrent revocations each take effect. Commits."""
    await session.exec(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
    await session.commit()


async def bind_wechat(session: AsyncSession, *, user: User, openid: str) -> None:
    """Bind a WeChat openid to the user, moving it off any other account (flushes)."""
    if user.wechat_openid == openid:
        return
    await session.exec(update(User).where(User.wechat_openid == openid).values(wechat_openid=None))
    user.wechat_openid = openid
    session.add(user)
    await session.flush()


async def user_by_openid(session: AsyncSession, *, openid: str) -> User | None:
    return (await session.exec(select(User).where(User.wechat_openid == openid))).first()


OAUTH_STATE_SECONDS = 600  # how long a WeChat state (and its signed cookie) is honoured


async def spend_oauth_state(session: AsyncSession, *, state: str) -> None:
    """Spend a WeChat OAuth state on the server: the first callback carrying it wins, a replay is 400."""
    await session.exec(
        delete(OAuthStateUsed).where(
            OAuthStateUsed.used_at < clock.now() - timedelta(seconds=OAUTH_STATE_SECONDS)
        )
    )
    session.add(OAuthStateUsed(state=state))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise BadRequest("授权已使用或已过期，请重新进入", code="invalid_oauth_state") from None


async def login_with_wechat(
    session: AsyncSession, *, openid: str, current: User | None, settings: Settings
) -> tuple[str, User] | None:
    """Sign in the user bound to `openid` (binding it to `current` if signed in); None if unknown."""
    user = await user_by_openid(session, openid=openid)
    if user is None and current is not None:
        await bind_wechat(session, user=current, openid=openid)
        user = current
    if user is None:
        return None
    token = token_for(settings, user)
    await session.commit()
    return token, user


async def has_signed_in(session: AsyncSession, *, user: User) -> bool:
    """Whether the person has ever signed in to the app (a spent SMS code or a bound WeChat): someone
    staff act for who never has is told by SMS instead."""
    if user.wechat_openid:
        return True
    if not user.phone:
        return False
    stmt = select(SmsCode.id).where(SmsCode.phone == user.phone, SmsCode.used_at.is_not(None)).limit(1)
    return (await session.exec(stmt)).first() is not None
