"""create_app(): the one process serving the JSON API under /api/v1 and the H5 pages."""

import asyncio
import contextlib
import logging
import uuid
from contextlib import asynccontextmanager
from contextvars import ContextVar
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import scheduler
from app.config import Settings, get_settings
from app.db import Database, unavailable
from app.errors import AppError, Unauthorized, ValidationFailed
from app.limits import BodySizeLimitMiddleware
from app.retry import RetryLostRaceMiddleware
from app.routers import (
    activities,
    assessments,
    auth,
    checkins,
    cobuilding,
    demonstration,
    events,
    feedback,
    health,
    lists,
    me,
    meetings,
    member_cards,
    member_reports,
    notifications,
    orgs,
    posts,
    records,
    resources,
    station_services,
    stations,
    stats,
    teams,
    timebank,
    users,
    wishes,
)
from app.routers.pages import router as pages_router
from app.security import install_access_log_redaction
from app.templating import assets, render
from app.validation import problem_errors

log = logging.getLogger("ejia")
request_id: ContextVar[str] = ContextVar("request_id", default="-")

API_PREFIX = "/api/v1"
PROBLEM = "application/problem+json"


# No framing (a one-tap claim or sign-in cannot be clickjacked), no type sniffing of uploaded
# photos, and no full URLs (scan codes, locations) in the Referer sent to other sites.
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class RequestIdMiddleware:
    """Plain ASGI: give every request an id (kept from X-Request-ID if sane) and echo it back,
    with the security headers every response carries."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if 0 < len(given) <= 64 and given.replace("-", "").isalnum() else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        # Kept on the scope too: the 500 handler runs in Starlette's outermost middleware,
        # after this context variable has been reset.
        scope["ejia.request_id"] = rid

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _problem(error: AppError, request: Request) -> JSONResponse:
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM,
        headers=error.headers,
    )


async def _app_error(request: Request, error: AppError):
    if _is_api(request):
        return _problem(error, request)
    if isinstance(error, Unauthorized):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return render(request, "errors/error.html", {"error": error}, status_code=error.status)


async def _validation_error(request: Request, exc: RequestValidationError):
    error = ValidationFailed("请检查填写的内容", extra={"errors": problem_errors(exc.errors())})
    return await _app_error(request, error)


async def _http_error(request: Request, exc: StarletteHTTPException):
    codes = {404: ("not_found", "找不到该内容"), 405: ("method_not_allowed", "不支持该请求方式")}
    code, title = codes.get(exc.status_code, ("http_error", "请求有误"))
    return await _app_error(
        request,
        AppError(
            title, code=code, title=title, status=exc.status_code, headers=getattr(exc, "headers", None)
        ),
    )


async def _unexpected(request: Request, exc: Exception):
    if busy := unavailable(exc):
        return await _app_error(request, busy)
    rid = request.scope.get("ejia.request_id") or request_id.get()
    log.exception("unhandled error, request %s %s %s", rid, request.method, request.url.path)
    error = AppError(
        f"服务器开小差了，请稍后再试（编号 {rid}）",
        code="internal_error",
        title="服务器错误",
        status=500,
        extra={"request_id": rid},
        headers={"X-Request-ID": rid},
    )
    if _is_api(request):
        return _problem(error, request)
    response = render(request, "errors/error.html", {"error": error}, status_code=500)
    response.headers["X-Request-ID"] = rid
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application: database, HTTP client and timed jobs live for the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not hasattr(app.state, "db"):
            app.state.db = Database(settings)
        app.state.http = httpx.AsyncClient()
        ticker = asyncio.create_task(scheduler.run_forever(app.state.db)) if settings.run_scheduler else None
        try:
            yield
        finally:
            if ticker:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await app.state.http.aclose()
            await app.state.db.dispose()

    app = FastAPI(
        title="党建e家 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI
        description="社区党建联盟平台：微心愿、时间银行、红色驿站、扫码签到、在职党员双报到。",
    )
    app.state.settings = settings
    install_access_log_redaction()
    app.add_middleware(RetryLostRaceMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_photo_bytes=settings.max_photo_bytes,
    )
    app.add_middleware(RequestIdMiddleware)
    # Starlette types a handler as taking any Exception; each of these takes the one it is registered for.
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)

    for module in (
        auth,
        me,
        users,
        orgs,
        timebank,
        wishes,
        resources,
        lists,
        notifications,
        stations,
        checkins,
        activities,
        member_reports,
        posts,
        records,
        feedback,
        cobuilding,
        events,
        stats,
        teams,
        demonstration,
        station_services,
        member_cards,
        meetings,
        assessments,
    ):
        router = module.router
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(stats.units_router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(pages_router)
    app.mount("/static", assets, name="static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui():
        """Swagger UI from our own vendored copy, so the API docs work on an intranet."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} · 接口文档",
            swagger_js_url=assets.url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=assets.url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=assets.url("vendor/swagger-ui/favicon-32x32.png"),
        )

    return app


app = create_app()
