"""A request that lost a deadlock (or a serialisation conflict) is run once more before anyone sees it.

Locks are taken in one order everywhere (see `app.db.advisory_lock` and
`app.services.activity_signups.lock_places`), so a deadlock should not happen; when PostgreSQL
still picks a victim, its transaction has already been rolled back whole, so running the request
again from the start is safe. A second loss is answered 503 `service_unavailable` with Retry-After
(`app.db.unavailable`), never 500.
"""

import logging

from app.db import is_lost_race

log = logging.getLogger("ejia")


class _LostRace(Exception):
    """The attempt lost a race before its response started: run it again."""


class RetryLostRaceMiddleware:
    """Plain ASGI, inside the body limit: remembers the body messages it has passed on, and when the
    app raises a lost race before any response has started, replays the request once."""

    def __init__(self, app, *, attempts: int = 2):
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        seen: list[dict] = []
        for attempt in range(1, self.attempts):
            try:
                return await self._attempt(scope, receive, send, seen)
            except _LostRace as lost:
                log.warning(
                    "retrying %s %s (attempt %d lost a race: %s)",
                    scope["method"],
                    scope["path"],
                    attempt,
                    lost,
                )
        return await self._attempt(scope, receive, send, seen, last=True)

    async def _attempt(self, scope, receive, send, seen: list[dict], *, last: bool = False):
        replay = list(seen)
        started = False

        async def recorded_receive():
            if replay:
                return replay.pop(0)
            message = await receive()
            seen.append(message)
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        attempt_scope = dict(scope)
        if "state" in scope:
            attempt_scope["state"] = dict(scope["state"])
        try:
            return await self.app(attempt_scope, recorded_receive, watched_send)
        except Exception as exc:
            if last or started or not is_lost_race(exc):
                raise
            raise _LostRace(type(exc.orig).__name__) from exc
