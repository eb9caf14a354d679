"""What every table shares: the metadata naming convention and UTC timestamps."""

from datetime import UTC, datetime

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
