"""Annotated dependencies: the settings, a session per request, and who is asking."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, get_settings
from app.errors import Unauthorized
from app.models.user import User
from app.security import COOKIE_NAME, read_access_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; writers begin IMMEDIATE on SQLite. Services commit, never this."""
    async with request.app.state.db.session(write=request.method not in SAFE_METHODS) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_report_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for numbers and exports: the replica when one is configured."""
    async with request.app.state.db.session(write=False, report=True) as session:
        yield session


ReportSessionDep = Annotated[AsyncSession, Depends(get_report_session)]


def _token_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE_NAME)


async def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The caller named by a bearer token or the session cookie, if any."""
    token = _token_from(request)
    if not token:
        return None
    user_id = read_access_token(settings, token)
    return await session.get(User, user_id) if user_id else None


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise Unauthorized("请先登录后再操作")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class LoginRequired(Unauthorized):
    """A page asked for a signed-in person; the page handler redirects to /login."""


async def get_page_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired("请先登录")
    return user


PageUser = Annotated[User, Depends(get_page_user)]


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn's --proxy-headers resolves X-Forwarded-For behind a proxy)."""
    return request.client.host if request.client else ""
