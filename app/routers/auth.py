"""Sign-in: SMS codes, login, logout, WeChat web OAuth."""

import secrets
from typing import Annotated, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.deps import (
    CurrentUser,
    OptionalUser,
    SameSiteOnly,
    SessionDep,
    SettingsDep,
    client_ip,
    get_token_holder,
)
from app.errors import BadRequest
from app.models.auth import LoginIn, SmsCodeIn, SmsCodeSent, TokenOut
from app.models.user import PhoneChangeIn, User
from app.security import COOKIE_NAME, read_payload, safe_next, sign_payload
from app.services import auth as auth_service
from app.services import users as users_service
from app.services.sms import SmsSender, get_sender
from app.services.wechat import WeChatOAuth, require_configured

router = APIRouter(prefix="/auth", tags=["auth"])

OAUTH_COOKIE = "ejia_oauth"
BIND_COOKIE = "ejia_wechat_bind"


def set_session_cookie(response: Response, token: str, settings) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.access_token_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def sms_sender(settings: SettingsDep) -> SmsSender:
    """The SMS backend for this request (a dependency, so tests can put a fake in its place)."""
    return get_sender(settings)


SenderDep = Annotated[SmsSender, Depends(sms_sender)]


@router.post(
    "/sms-code", response_model=SmsCodeSent, response_model_exclude_none=True, dependencies=[SameSiteOnly]
)
async def send_sms_code(
    body: SmsCodeIn, request: Request, session: SessionDep, settings: SettingsDep, sender: SenderDep
):
    """Send a 6-digit sign-in code (one a minute and ten a day per phone; limited per IP)."""
    code = await auth_service.request_code(
        session, phone=body.phone, ip=client_ip(request), settings=settings, sender=sender
    )
    return SmsCodeSent(expires_in=settings.otp_ttl_seconds, debug_code=code if sender.shows_code else None)


@router.post("/login", response_model=TokenOut, dependencies=[SameSiteOnly])
async def login(
    body: LoginIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
):
    """Sign in with phone and code; the account is created on first login."""
    bind = read_payload(settings, "wechat-bind", request.cookies.get(BIND_COOKIE, ""), max_age=1800)
    token, user = await auth_service.login_with_code(
        session,
        phone=body.phone,
        code=body.code,
        settings=settings,
        wechat_openid=bind.get("openid") if bind else None,
    )
    set_session_cookie(response, token, settings)
    response.delete_cookie(BIND_COOKIE, path="/")
    return TokenOut(access_token=token, user=await users_service.profile(session, user=user))


@router.post("/change-phone", response_model=TokenOut, dependencies=[SameSiteOnly])
async def change_phone(
    body: PhoneChangeIn, response: Response, session: SessionDep, settings: SettingsDep, user: CurrentUser
):
    """Move your account to a new phone, proven by a code sent to it (POST /auth/sms-code first).

    Every token issued before is refused from now on (other devices sign in again); this reply
    carries the new one and sets the cookie."""
    token = await auth_service.change_phone(
        session, user=user, phone=body.phone, code=body.code, settings=settings
    )
    set_session_cookie(response, token, settings)
    return TokenOut(access_token=token, user=await users_service.profile(session, user=user))


@router.post("/logout", status_code=204, dependencies=[SameSiteOnly])
async def logout(
    response: Response, session: SessionDep, user: Annotated[User | None, Depends(get_token_holder)]
) -> Response:
    """Sign out: the token (bearer or cookie) is refused from now on, and the cookie is forgotten.

    Tokens carry the person's token version, so revoking this one revokes the others issued
    before it too (the person signs in again on each device)."""
    if user is not None:
        await auth_service.revoke_tokens(session, user_id=cast(int, user.id))
    response.delete_cookie(COOKIE_NAME, path="/")
    response.status_code = 204
    return response


@router.post("/logout-everywhere", status_code=204, dependencies=[SameSiteOnly])
async def logout_everywhere(response: Response, session: SessionDep, user: CurrentUser) -> Response:
    """Sign out on every device: every token of the person is refused from now on."""
    await auth_service.revoke_tokens(session, user_id=cast(int, user.id))
    response.delete_cookie(COOKIE_NAME, path="/")
    response.status_code = 204
    return response


def get_wechat(request: Request, settings) -> WeChatOAuth:
    require_configured(settings)
    return WeChatOAuth(settings, request.app.state.http)


@router.get("/wechat/authorize")
async def wechat_authorize(
    request: Request, settings: SettingsDep, next: Annotated[str | None, Query()] = None
):
    """Send the browser to WeChat's authorisation page (snsapi_base) with a signed, single-use state."""
    wechat = get_wechat(request, settings)
    nonce = secrets.token_urlsafe(12)
    redirect_uri = f"{settings.public_base_url.rstrip('/')}/api/v1/auth/wechat/callback"
    url = wechat.authorize_url(redirect_uri=redirect_uri, state=nonce)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        OAUTH_COOKIE,
        sign_payload(settings, "wechat-state", {"s": nonce, "next": safe_next(next)}),
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.get("/wechat/callback")
async def wechat_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    code: str = "",
    state: str = "",
):
    """Exchange WeChat's code for the openid; sign in the bound user, or ask for a phone once."""
    wechat = get_wechat(request, settings)
    saved = read_payload(
        settings,
        "wechat-state",
        request.cookies.get(OAUTH_COOKIE, ""),
        max_age=auth_service.OAUTH_STATE_SECONDS,
    )
    if not saved or not state or not secrets.compare_digest(saved.get("s", ""), state):
        raise BadRequest("授权已过期，请重新进入", code="invalid_oauth_state")
    await auth_service.spend_oauth_state(session, state=state)
    if not code:
        raise BadRequest("您取消了微信授权", code="wechat_auth_failed")
    openid = await wechat.openid_for_code(code)
    result = await auth_service.login_with_wechat(session, openid=openid, current=user, settings=settings)
    if result is None:
        response = RedirectResponse(
            f"/login?{urlencode({'bind': 1, 'next': saved['next']})}", status_code=302
        )
        response.set_cookie(
            BIND_COOKIE,
            sign_payload(settings, "wechat-bind", {"openid": openid}),
            max_age=1800,
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
            path="/",
        )
    else:
        response = RedirectResponse(saved["next"], status_code=302)
        set_session_cookie(response, result[0], settings)
    response.delete_cookie(OAUTH_COOKIE, path="/")
    return response
