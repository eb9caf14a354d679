"""Running Alembic from code: `ejia migrate`, the demo and the tests build the schema the same way."""

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str | None = None, revision: str = "heads") -> None:
    """Bring the database to the newest schema (call from sync code; Alembic runs its own loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    """Take the schema back to `revision` (base: nothing left but the empty version table)."""
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str | None = None) -> None:
    """Fail if the models have changes no revision covers."""
    command.check(alembic_config(database_url))
