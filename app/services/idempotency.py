"""A reusable Idempotency-Key store in the database: a replay returns the first response.

A use case that moves money calls `claim` first. It returns the stored response for a key already
used with the same body (409 `idempotency_key_reused` for another body), or inserts the key, in
the use case's own transaction, before any work. Two concurrent requests with one key cannot both
run: the unique (user, route, key) index makes the second INSERT wait for the first transaction
(PostgreSQL) or the write lock queues it (SQLite); it then finds the committed row and replays.
If the work fails, the key goes with the rolled-back transaction, so a retry runs afresh.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, ValidationFailed
from app.models.idempotency import IdempotencyKey

MAX_KEY_LENGTH = 100


@dataclass
class Stored:
    """A response to send: the first one for a replay, or the fresh one."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def body_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request body (keys sorted, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(key: str | None) -> str:
    """The header's value, or 422 `idempotency_key_required` / `idempotency_key_invalid`."""
    if key is None or not key.strip():
        raise ValidationFailed(
            "缺少 Idempotency-Key 请求头，请刷新页面后重试", code="idempotency_key_required"
        )
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed("Idempotency-Key 无效", code="idempotency_key_invalid")
    return key


async def _find(session: AsyncSession, *, key: str, user_id: int, route: str) -> IdempotencyKey | None:
    stmt = (
        select(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.route == route, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


def _replay(row: IdempotencyKey, digest: str) -> Stored:
    if row.request_hash != digest:
        raise Conflict(
            "该 Idempotency-Key 已用于另一笔不同的请求",
            code="idempotency_key_reused",
            title="请求标识已被使用",
        )
    if row.status_code is None:  # only visible inside the transaction that is still running it
        raise Conflict("相同的请求正在处理，请稍候", code="idempotency_in_progress")
    return Stored(status_code=row.status_code, body=dict(row.response_body or {}), replayed=True)


async def claim(
    session: AsyncSession, *, key: str | None, user_id: int, route: str, body: dict[str, Any]
) -> tuple[IdempotencyKey | None, Stored | None]:
    """(row, None) when the caller should do the work; (None, stored) to replay. Flushes only."""
    key = require_key(key)
    digest = body_hash(body)
    row = await _find(session, key=key, user_id=user_id, route=route)
    if row is not None:
        return None, _replay(row, digest)
    row = IdempotencyKey(key=key, user_id=user_id, route=route, request_hash=digest)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # a concurrent twin committed first: replay what it answered
        session.expunge(row) if row in session else None
        existing = await _find(session, key=key, user_id=user_id, route=route)
        if existing is None:
            raise
        return None, _replay(existing, digest)
    return row, None


async def complete(
    session: AsyncSession, row: IdempotencyKey, *, status_code: int, body: dict[str, Any]
) -> Stored:
    """Keep the response with the key (flushes; commits with the work it describes)."""
    row.status_code = status_code
    row.response_body = body
    session.add(row)
    await session.flush()
    return Stored(status_code=status_code, body=body)
