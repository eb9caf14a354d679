"""Every table, imported so the metadata (and Alembic) sees them all."""

# One module per domain; importing it puts its tables on the metadata.
from app.models import (  # noqa: E402,F401,I001
    activities,
    assessments,
    base,  # noqa: F401  (naming convention first)
    claim_policy,
    cobuilding,
    demonstration,
    events,
    feedback,
    idempotency,
    member_cards,
    meetings,
    member_reports,
    notifications,
    posts,
    push,
    resources,
    station_services,
    stations,
    teams,
    timebank,
    wishes,
)
from app.models.audit import AuditLog
from app.models.auth import SmsCode
from app.models.org import Org, Role, UnitCommunity
from app.models.user import User

__all__ = ["AuditLog", "Org", "Role", "SmsCode", "UnitCommunity", "User"]
