"""The time bank: a double-entry ledger of whole minutes, its alliance policies and the rewards shelf.

Nothing in ledger_txns / ledger_entries is ever updated or deleted; a mistake is a new txn.
"""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import MAX_INT, CreatedAt, Id, Input, TimeField


class AccountKind:
    person = "person"
    issuing = "issuing"  # a community's source of minutes (may go negative)
    shelf = "shelf"  # an org node's rewards shelf (爱心超市), where redeemed minutes go


class TxnKind:
    earn = "earn"
    spend = "spend"
    transfer = "transfer"
    redeem = "redeem"
    grant = "grant"
    correction = "correction"
    reversal = "reversal"


TXN_KIND_LABELS = {
    "earn": "服务获得",
    "spend": "消费",
    "transfer": "转赠",
    "redeem": "兑换",
    "grant": "补录",
    "correction": "更正",
    "reversal": "冲正",
}


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "org_id"),
        # A person can never hold less than nothing; the database says so too.
        CheckConstraint("kind <> 'person' OR balance_minutes >= 0", name="person_balance_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    user_id: int | None = Field(default=None, foreign_key="users.id", unique=True)
    org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    balance_minutes: int = 0
    earned_minutes: int = 0  # service minutes earned (earn, grant, less corrections): star levels
    spent_minutes: int = 0  # minutes redeemed or given away
    # The head of this account's own hash chain: how many entries it has, and the hash of the txn
    # of the last one (GENESIS_HASH before the first). A posting moves the heads of its accounts only.
    version: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)
    created_at: datetime = CreatedAt()


class LedgerTxn(SQLModel, table=True):
    __tablename__ = "ledger_txns"
    __table_args__ = (
        # A reference (a verified wish, a closed activity …) credits a person at most once.
        UniqueConstraint("ref_type", "ref_id", "ref_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12, index=True)
    memo: str = Field(default="", max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    ref_type: str | None = Field(default=None, max_length=20)
    ref_id: int | None = None
    ref_user_id: int | None = None
    created_at: datetime = CreatedAt()
    hash: str = Field(max_length=64, unique=True)


class LedgerEntry(SQLModel, table=True):
    """One leg of a txn, and one link of its account's chain: the account's version after it and
    the hash of the account's previous txn (both sealed into this txn's hash)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
        UniqueConstraint("account_id", "account_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    txn_id: int = Field(foreign_key="ledger_txns.id", index=True)
    account_id: int = Field(foreign_key="ledger_accounts.id")
    amount_minutes: int
    balance_after_minutes: int
    account_version: int
    prev_hash: str = Field(max_length=64)


class TimebankPolicy(SQLModel, table=True):
    """An alliance's rules, as Chinese time banks set them (Nanjing's cap, Shanghai's ages …)."""

    __tablename__ = "timebank_policies"

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="orgs.id", unique=True)
    storage_cap_minutes: int | None = None  # above it, minutes may only be donated
    redeem_min_age: int | None = None
    redeem_min_age_hardship: int | None = None
    family_transfer_allowed: bool = True
    family_transfer_daily_cap_minutes: int | None = None
    rounding_unit_minutes: int = 30  # served time rounds half-up to this unit (0 = exact minutes)
    # The crediting rule's knobs (app/services/credit.py reads them, nothing else does):
    raise_margin_percent: int = 150  # a verifier may raise reported time, with a reason, up to this
    min_stay_minutes: int = 15  # attendance shorter than this earns nothing (the sign-out is kept)
    no_signout_minutes: int | None = None  # credit for who never signed out (None: until the end)
    activity_ceiling_minutes: int = 240  # more per attendee needs the alliance admin
    updated_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = CreatedAt()


class TimebankHardship(SQLModel, table=True):
    """A person recognised as in hardship (困难群体): the lower redeem age applies."""

    __tablename__ = "timebank_hardships"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    set_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class Reward(SQLModel, table=True):
    __tablename__ = "timebank_rewards"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="orgs.id", index=True)
    # The station whose shelf this is (爱心超市), if any; it must sit under org_id.
    station_id: int | None = Field(default=None, foreign_key="stations.id", index=True)
    name: str = Field(max_length=60)
    description: str = Field(default="", max_length=300)
    price_minutes: int
    stock: int = 0
    active: bool = True
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = CreatedAt()


class Redemption(SQLModel, table=True):
    __tablename__ = "timebank_redemptions"

    id: int | None = Field(default=None, primary_key=True)
    reward_id: int = Field(foreign_key="timebank_rewards.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    actor_id: int = Field(foreign_key="users.id")
    txn_id: int = Field(foreign_key="ledger_txns.id", unique=True)
    minutes: int
    created_at: datetime = CreatedAt()
    # The voucher: the resident shows the pickup code at the station, whose staff hand the thing over.
    pickup_code: str | None = Field(default=None, max_length=8, unique=True)
    status: str = Field(default="redeemed", max_length=12, sa_column_kwargs={"server_default": "redeemed"})
    handed_over_at: datetime | None = TimeField(default=None, nullable=True)
    handed_over_by: int | None = Field(default=None, foreign_key="users.id")


# ---- schemas ---------------------------------------------------------------------------------


class BalancePublic(BaseModel):
    balance_minutes: int
    earned_minutes: int
    spent_minutes: int
    star_level: int
    spendable_minutes: int | None = None
    storage_cap_minutes: int | None = None


class EntryPublic(BaseModel):
    txn_id: int
    at: datetime
    kind: str
    amount_minutes: int
    balance_after_minutes: int
    memo: str


class TransferIn(Input):
    to_phone: str = PField(pattern=r"^1[3-9]\d{9}$")
    minutes: int = PField(gt=0, le=100000)
    memo: str | None = PField(None, max_length=100)


class TransferPublic(BaseModel):
    txn_id: int
    minutes: int
    to_user_id: int
    to_name: str
    to_phone: str
    balance_minutes: int
    created_at: datetime


class GrantIn(Input):
    user_id: Id
    minutes: int = PField(ge=-100000, le=100000)
    reason: str = PField(min_length=1, max_length=100)
    org_id: Id | None = None


class GrantPublic(BaseModel):
    txn_id: int
    kind: str
    user_id: int
    minutes: int
    balance_minutes: int
    created_at: datetime


class MismatchedAccount(BaseModel):
    account_id: int
    balance_minutes: int
    entries_sum_minutes: int


class AuditPublic(BaseModel):
    ok: bool
    transactions: int
    entries_sum: int
    chain_ok: bool
    balances_ok: bool
    first_broken_txn_id: int | None = None
    unbalanced_txn_ids: list[int] = []
    mismatched_accounts: list[MismatchedAccount] = []
    negative_person_account_ids: list[int] = []
    problems: list[str] = []


class YearTotal(BaseModel):
    year: int
    earned_minutes: int
    spent_minutes: int
    people: int | None = None


class PolicyIn(Input):
    storage_cap_minutes: int | None = PField(None, ge=0, le=MAX_INT)
    redeem_min_age: int | None = PField(None, ge=0, le=120)
    redeem_min_age_hardship: int | None = PField(None, ge=0, le=120)
    family_transfer_allowed: bool = True
    family_transfer_daily_cap_minutes: int | None = PField(None, ge=0, le=MAX_INT)
    rounding_unit_minutes: int = PField(30, ge=0, le=120)
    raise_margin_percent: int = PField(150, ge=100, le=300)
    min_stay_minutes: int = PField(15, ge=0, le=240)
    no_signout_minutes: int | None = PField(None, ge=0, le=24 * 60)
    activity_ceiling_minutes: int = PField(240, ge=0, le=24 * 60)


class PolicyPublic(PolicyIn):
    alliance_id: int


class RewardIn(Input):
    org_id: Id
    station_id: Id | None = None
    name: str = PField(min_length=1, max_length=60)
    description: str = PField("", max_length=300)
    price_minutes: int = PField(gt=0, le=100000)
    stock: int = PField(ge=0, le=100000)


class RewardUpdate(Input):
    stock: int | None = PField(None, ge=0, le=100000)
    price_minutes: int | None = PField(None, gt=0, le=100000)
    active: bool | None = None


class RewardPublic(BaseModel):
    id: int
    org_id: int
    station_id: int | None
    name: str
    description: str
    price_minutes: int
    stock: int
    active: bool


class RedeemIn(Input):
    for_phone: str | None = PField(None, pattern=r"^1[3-9]\d{9}$")


class RedemptionPublic(BaseModel):
    redemption_id: int
    txn_id: int
    reward_id: int
    user_id: int
    minutes: int
    balance_minutes: int
    stock_left: int
    created_at: datetime
    pickup_code: str | None = None


class VoucherPublic(BaseModel):
    """A redemption as its holder (or the station handing it over) sees it: what, where, which code."""

    redemption_id: int
    reward_id: int
    reward_name: str
    minutes: int
    pickup_code: str | None
    status: str  # redeemed (to collect) / handed_over
    station_name: str | None
    station_address: str | None
    station_open_hours: str | None
    station_lat: float | None
    station_lng: float | None
    created_at: datetime
    handed_over_at: datetime | None
    holder: str | None = None  # the person's masked name, for the station


class HandOverIn(Input):
    code: str = PField(pattern=r"^\d{8}$")
