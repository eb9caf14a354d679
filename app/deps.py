"""Annotated dependencies: the settings, a session per request, and who is asking."""

from collections.abc import AsyncIterator
from typing import Annotated, cast
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, get_settings
from app.errors import Forbidden, Unauthorized
from app.models.user import User
from app.permissions import has_any_staff_role
from app.security import COOKIE_NAME, read_access_token
from app.services import todos

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_app_settings() -> Settings:
    """The settings, as an async dependency: FastAPI runs a plain `def` one (get_settings) in a
    worker thread on every request, and every signed-in request depends on the settings."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; writers begin IMMEDIATE on SQLite. Services commit, never this."""
    async with request.app.state.db.session(write=request.method not in SAFE_METHODS) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_report_session(request: Request, session: SessionDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for numbers and exports: the replica when one is configured, else the
    request's own session (one connection per request: the caller's lookup already took one)."""
    if request.app.state.db.replica_engine is None:
        yield session
        return
    async with request.app.state.db.session(write=False, report=True) as report:
        yield report


ReportSessionDep = Annotated[AsyncSession, Depends(get_report_session)]


def _token_from(request: Request) -> tuple[str | None, bool]:
    """(the token, whether it came from the session cookie rather than an Authorization header)."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None, False
    return request.cookies.get(COOKIE_NAME), True


def _same_site(request: Request, settings: Settings) -> bool:
    """Whether a cookie-authenticated write comes from our own pages (CSRF guard).

    A browser names the page that sent a write in Origin (or at least Referer); it must be this
    host or the public base URL. With neither header, only a JSON body is let through: a cross-site
    form or `no-cors` fetch cannot send `application/json` without a CORS preflight we never grant.
    """
    ours = {request.headers.get("host", ""), urlsplit(settings.public_base_url).netloc} - {""}
    source = request.headers.get("origin") or request.headers.get("referer")
    if source:
        return source != "null" and urlsplit(source).netloc in ours
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json"


async def same_site_only(request: Request, settings: SettingsDep) -> None:
    """For sign-in writes (code, login, logout): a browser on another site may not send them.

    Stops a page elsewhere from making its visitors request SMS codes (sidestepping the per-IP
    limit) or signing them in or out. Requests naming no origin at all (apps, scripts) pass.
    """
    if (request.headers.get("origin") or request.headers.get("referer")) and not _same_site(
        request, settings
    ):
        raise Forbidden("请求来源不明，已拒绝。请在党建e家页面内操作", code="cross_site_request")


SameSiteOnly = Depends(same_site_only)


async def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The caller named by a bearer token or the session cookie, if any.

    A write carrying only the session cookie must come from our own pages: anything else is 403
    `cross_site_request`, so another site cannot make a signed-in browser act (CSRF).
    """
    token, from_cookie = _token_from(request)
    if token and from_cookie and request.method not in SAFE_METHODS and not _same_site(request, settings):
        raise Forbidden("请求来源不明，已拒绝。请在党建e家页面内操作", code="cross_site_request")
    return await _holder(session, settings, token)


async def get_token_holder(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The person the request's token names, if it is still valid, for signing out: the routes that
    use it are guarded by `SameSiteOnly` instead of the cookie-write check."""
    return await _holder(session, settings, _token_from(request)[0])


async def _holder(session: AsyncSession, settings: Settings, token: str | None) -> User | None:
    if not token:
        return None
    claims = read_access_token(settings, token)
    if claims is None:
        return None
    user = await session.get(User, claims[0])
    # A token issued before the person's last logout (or sign-out everywhere, phone change, block) is
    # refused, and a blocked account is refused whatever its token.
    ok = user is not None and user.token_version == claims[1] and user.blocked_at is None
    return user if ok else None


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise Unauthorized("请先登录后再操作")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class LoginRequired(Unauthorized):
    """A page asked for a signed-in person; the page handler redirects to /login."""


async def get_page_user(request: Request, session: SessionDep, user: OptionalUser) -> User:
    """The signed-in viewer of a page (else /login), kept on the request with the red dots of the
    tab bar (unread messages, wishes waiting for their confirmation) for the page's header and tabs."""
    if user is None:
        raise LoginRequired("请先登录")
    request.state.user = user
    request.state.badges = await todos.badges(session, user=user)
    return user


PageUser = Annotated[User, Depends(get_page_user)]


async def get_staff_page_user(session: SessionDep, user: PageUser) -> User:
    """A page of the staff console: only for someone holding a staff or admin role somewhere."""
    if not await has_any_staff_role(session, user_id=cast(int, user.id)):
        raise Forbidden("工作台仅对社区、小区工作人员开放")
    return user


StaffPageUser = Annotated[User, Depends(get_staff_page_user)]


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn's --proxy-headers resolves X-Forwarded-For behind a proxy)."""
    return request.client.host if request.client else ""
