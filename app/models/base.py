"""What every table shares: the metadata naming convention and UTC timestamps."""

from datetime import UTC, date, datetime
from typing import Annotated, get_args

from annotated_types import Ge, Le
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel

from app import clock

# Constraint names must be predictable so SQLite batch migrations can find them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every whole-number column is a PostgreSQL INTEGER (SQLite's is 64-bit): a number from outside larger than this
# would overflow in the database driver. Ids in paths, queries and bodies are bounded at the edge with `Id`, so a
# huge or non-positive id is a 422 naming the field, never a 500.
MAX_INT = 2**31 - 1
Id = Annotated[int, Ge(1), Le(MAX_INT)]

# Dates and instants from outside: a time must carry its offset (a naive one cannot be stored as UTC), and both
# stay within years people mean, so date arithmetic (a day or a term of months later, a UTC offset away) never
# overflows Python's datetime at year 1 or 9999.
MIN_YEAR, MAX_YEAR = 1900, 2100


def _in_calendar(value: date) -> date:
    try:
        year = value.astimezone(UTC).year if isinstance(value, datetime) else value.year
    except OverflowError:
        year = None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise PydanticCustomError("date_out_of_range", "日期超出可用范围（1900—2100年）")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_calendar)]
Day = Annotated[date, AfterValidator(_in_calendar)]


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def TimeField(**kw) -> datetime:  # noqa: N802 - reads like a type in model bodies
    """A UTC timestamp column."""
    return Field(sa_type=UTCDateTime, **kw)


def CreatedAt() -> datetime:  # noqa: N802
    """A creation timestamp taken from the app clock."""
    return Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False)


def _takes_int(annotation) -> bool:
    """Whether a field holds a whole number (alone, optional, or in a list)."""
    if annotation is int:
        return True
    return annotation is not bool and any(_takes_int(arg) for arg in get_args(annotation))


class Input(BaseModel):
    """What a person sends: text is trimmed before any length rule, so "   " is no name at all, and a
    whole number is a JSON number: `true` or `"10"` for minutes, a price or an id is a 422, not 1 or 10."""

    model_config = ConfigDict(str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_int(cls, value, info):
        if _takes_int(cls.model_fields[info.field_name].annotation):
            items = value if isinstance(value, list) else [value]
            if any(isinstance(item, bool | str | float) for item in items):
                raise PydanticCustomError("int_type", "请填写整数")
        return value
