"""Keyset pagination: `?limit=&cursor=` in, `{"items", "next_cursor"}` out."""

import base64
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, select, tuple_

from app.errors import ValidationFailed
from app.models.base import MAX_INT

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 20
    cursor: str | None = None


def page_params(limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: str | None = None) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id (or offset) a cursor names; anything we did not issue is a 422, never a number the database chokes on."""
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError as exc:
        raise ValidationFailed("分页参数无效", code="invalid_cursor") from exc
    if not 0 <= value <= MAX_INT:
        raise ValidationFailed("分页参数无效", code="invalid_cursor")
    return value


async def paginate(
    session, stmt: Select, id_column, params: PageParams, *, newest_first: bool = True, sort_column=None
):
    """Run `stmt` one page at a time, keyed on `id_column` (or on `sort_column` then the id, e.g. the
    start time, so tomorrow comes before next week whatever order things were made in); returns
    (rows, next_cursor). The cursor is always the last row's id."""
    keys = (id_column,) if sort_column is None else (sort_column, id_column)
    if params.cursor:
        last = decode_cursor(params.cursor)
        if sort_column is None:
            after = id_column < last if newest_first else id_column > last
        else:
            anchor = (select(sort_column).where(id_column == last).scalar_subquery(), last)
            after = tuple_(*keys) < tuple_(*anchor) if newest_first else tuple_(*keys) > tuple_(*anchor)
        stmt = stmt.where(after)
    stmt = stmt.order_by(*(k.desc() if newest_first else k.asc() for k in keys)).limit(params.limit + 1)
    return cut(list((await session.exec(stmt)).all()), params, id_column.key)


def cut(rows: list, params: PageParams, key: str = "id") -> tuple[list, str | None]:
    """The page out of `rows` (fetched with limit + 1, so one more means there is a next page) and the
    next cursor, the last row's `key`: for `paginate` and for statements built once that page themselves
    (`WHERE id < :after ... LIMIT :limit + 1`, the cursor read with `decode_cursor`)."""
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if more and rows:
        last_row = rows[-1]
        last_id = getattr(last_row, key, None)
        if last_id is None:  # a tuple row: the model comes first
            last_id = getattr(last_row[0], key)
        next_cursor = encode_cursor(last_id)
    return rows, next_cursor
