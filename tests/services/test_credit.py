"""The one crediting rule, as pure arithmetic: every domain's credit comes out of these."""

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import AppError
from app.services.credit import CreditPolicy, is_service_kind

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DEFAULT = CreditPolicy()


def test_rounding_half_up_to_the_unit():
    assert [DEFAULT.rounded(m) for m in (0, 2, 14, 15, 44, 45, 60, 74, 75)] == [
        0,
        0,
        0,
        30,
        30,
        60,
        60,
        60,
        90,
    ]
    assert CreditPolicy(unit=0).rounded(2) == 2


def test_served_is_bounded_by_the_things_own_length_before_rounding():
    assert DEFAULT.served(1440, bound=1) == 0  # a 1-minute activity never earns a day
    assert DEFAULT.served(200, bound=120) == 120
    assert DEFAULT.served(-5, bound=120) == 0


def test_verifier_may_lower_without_a_reason():
    assert DEFAULT.verified(reported=90, requested=30, reason=None, alliance_admin=False) == 30


def test_verifier_raising_needs_a_reason():
    with pytest.raises(AppError) as err:
        DEFAULT.verified(reported=30, requested=40, reason="  ", alliance_admin=False)
    assert err.value.code == "credit_reason_required"


def test_raise_up_to_the_margin_then_only_the_alliance_admin():
    # 30 reported: 45 is 1.5×, allowed with a reason; 600 (the case) is not.
    assert DEFAULT.verified(reported=30, requested=45, reason="路远", alliance_admin=False) == 60
    with pytest.raises(AppError) as err:
        DEFAULT.verified(reported=30, requested=600, reason="路远", alliance_admin=False)
    assert err.value.code == "credit_above_margin"
    assert DEFAULT.verified(reported=30, requested=600, reason="路远", alliance_admin=True) == 600
    assert CreditPolicy(raise_margin_percent=200).margin(30) == 60


def _attended(policy, *, sign_in, sign_out, length=60, stated=60):
    return policy.attended(
        signed_in_at=T0 + sign_in,
        signed_out_at=None if sign_out is None else T0 + sign_out,
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=length),
        stated=stated,
    )


def test_attendance_counts_the_stay_inside_the_window():
    m = timedelta(minutes=1)
    assert _attended(DEFAULT, sign_in=-25 * m, sign_out=timedelta(milliseconds=12) - 25 * m) == 0
    assert _attended(DEFAULT, sign_in=0 * m, sign_out=timedelta(milliseconds=12)) == 0
    assert _attended(DEFAULT, sign_in=-25 * m, sign_out=40 * m) == 30  # 40 min inside → 30
    assert _attended(DEFAULT, sign_in=0 * m, sign_out=14 * m) == 0  # under the minimum stay
    assert _attended(DEFAULT, sign_in=0 * m, sign_out=180 * m) == 60  # the activity's length bounds it


def test_stated_credit_bounds_and_a_one_minute_activity_earns_nothing():
    m = timedelta(minutes=1)
    assert _attended(DEFAULT, sign_in=0 * m, sign_out=120 * m, length=120, stated=60) == 60
    assert _attended(DEFAULT, sign_in=0 * m, sign_out=1 * m, length=1, stated=1440) == 0


def test_no_sign_out_earns_until_the_end_or_the_alliance_default():
    m = timedelta(minutes=1)
    assert _attended(DEFAULT, sign_in=10 * m, sign_out=None, length=120, stated=120) == 120  # 110 → 120
    assert _attended(CreditPolicy(no_signout=30), sign_in=0 * m, sign_out=None, length=120, stated=120) == 30


def test_only_service_kinds_earn():
    assert is_service_kind("志愿服务")
    assert not is_service_kind("党课")
    assert not is_service_kind("议事会")
    assert not is_service_kind("主题党日")
