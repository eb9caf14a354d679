"""An alliance's limits on claiming wishes, so one account cannot empty a wall or harvest contacts."""

from datetime import datetime

from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt, Input


class ClaimPolicy(SQLModel, table=True):
    """Per alliance; an alliance without a row uses the defaults below."""

    __tablename__ = "claim_policies"

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="orgs.id", unique=True)
    max_open_claims: int = 3  # claimed or done, not yet confirmed
    max_claims_per_day: int = 5  # China calendar day
    max_releases_per_day: int = 3  # more, and the person cannot claim again that day
    updated_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = CreatedAt()


class ClaimPolicyIn(Input):
    max_open_claims: int = PField(3, ge=1, le=50)
    max_claims_per_day: int = PField(5, ge=1, le=100)
    max_releases_per_day: int = PField(3, ge=0, le=100)


class ClaimPolicyPublic(ClaimPolicyIn):
    alliance_id: int
