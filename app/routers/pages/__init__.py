"""The H5 pages: one module per domain, all on the same origin as the API."""

from fastapi import APIRouter

from app.routers.pages import (
    activities,
    admin,
    alliance,
    events,
    meetings,
    report,
    resources,
    scan,
    shell,
    stations,
    timebank,
    wishes,
)

router = APIRouter(include_in_schema=False)
for module in (
    shell,
    admin,
    wishes,
    resources,
    timebank,
    stations,
    activities,
    scan,
    report,
    events,
    alliance,
    meetings,
):
    router.include_router(module.router)
