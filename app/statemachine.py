"""State machines kept as one transition table per domain, and the one way a row moves through its table.

A move is a conditional `UPDATE … WHERE id = ? AND status = <the status we read>` checked by its
rowcount, so of two concurrent moves exactly one wins, on SQLite and PostgreSQL alike; the winner
writes the history row (who, when, what, from which state to which) in the same transaction.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import InvalidState


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


def move(sources: set[str], target: str) -> Transition:
    return Transition(frozenset(sources), target)


# Builds the history row of one move: (row, at, actor_id, action, from_status, to_status, note) → a table row.
History = Callable[[Any, datetime, int | None, str, str, str, str | None], SQLModel]


@dataclass(frozen=True)
class Machine:
    """A table's status column, the moves allowed on it, and how each move is remembered."""

    model: type[SQLModel]  # has id, status and updated_at
    transitions: Mapping[str, Transition]
    history: History
    noun: str  # 心愿, 事件 … for the messages a person sees
    labels: Mapping[str, str]  # status → Chinese
    # action → a column stamped with the move's time the first time that action happens, never again
    # (a milestone such as the first publish: a figure counts it once however often the row returns)
    firsts: Mapping[str, str] = field(default_factory=dict)

    def allowed(self, action: str, status: str) -> bool:
        """Whether the table lets `action` happen from `status`."""
        return status in self.transitions[action].sources

    async def apply(
        self,
        session: AsyncSession,
        row: Any,
        action: str,
        *,
        actor_id: int | None,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        where: tuple[Any, ...] = (),
    ) -> bool:
        """Move `row` by `action` if it is still in the state we read (flushes); False if someone beat us."""
        rule = self.transitions[action]
        if row.status not in rule.sources:
            label = self.labels.get(row.status, row.status)
            raise InvalidState(f"{self.noun}当前状态为“{label}”，不能进行此操作")
        now = clock.now()
        model: Any = self.model  # a table model: its columns are known only at run time
        stamps = {}
        if action in self.firsts:
            column = self.firsts[action]
            stamps[column] = func.coalesce(getattr(model, column), now)
        result = await session.exec(
            update(model)
            .where(model.id == row.id, model.status == row.status, *where)
            .values(status=rule.target, updated_at=now, **stamps, **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await session.refresh(row)
            return False
        session.add(self.history(row, now, actor_id, action, row.status, rule.target, note))
        await session.flush()
        await session.refresh(row)
        return True

    async def apply_or_conflict(self, session: AsyncSession, row: Any, action: str, **kw: Any) -> None:
        """Like `apply`, but a lost race is 409 `invalid_state`."""
        if not await self.apply(session, row, action, **kw):
            raise InvalidState(f"{self.noun}状态刚刚发生了变化，请刷新后再试")
