"""Jinja2 for the H5 pages: one environment, the shared context every page gets."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from app.assets import Assets
from app.dates import day_label, local_time, moment, when
from app.hours import hours_text
from app.security import mask_phone

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

templates = Jinja2Templates(directory=WEB_DIR / "templates")
assets = Assets(WEB_DIR / "static")
templates.env.globals["static"] = assets.url
templates.env.filters["mask_phone"] = mask_phone


templates.env.filters["hours"] = hours_text
templates.env.filters["moment"] = moment
templates.env.filters["when"] = when
templates.env.filters["day_label"] = day_label
templates.env.filters["local_time"] = local_time


def in_wechat(request: Request) -> bool:
    """Whether the page is open inside WeChat's own browser."""
    return "micromessenger" in request.headers.get("user-agent", "").lower()


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    tab: str | None = None,
):
    """Render a page with the viewer (if any), the active tab and large-text mode."""
    ctx: dict[str, Any] = {
        "tab": tab,
        "user": getattr(request.state, "user", None),
        "badges": getattr(request.state, "badges", {}),
    }
    ctx.update(context or {})
    user = ctx.get("user")
    ctx.setdefault("elderly_mode", bool(user and user.elderly_mode))
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
