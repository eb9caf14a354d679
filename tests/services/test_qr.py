"""Signed rotating codes: windows, forgery, expiry, short codes, cards and tickets."""

from datetime import UTC, datetime, timedelta

import pytest

from app.services import qr

T0 = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)


def test_live_token_reads_back_in_its_window():
    token, expires_at, _ = qr.live_token("s", 7, at=T0)
    assert qr.read(token, at=T0) == qr.Code("s", 7, qr.window_of(T0))
    assert expires_at == T0 + timedelta(seconds=60)


def test_previous_window_accepted_older_expired():
    token = qr.live_token("a", 3, at=T0)[0]
    assert qr.read(token, at=T0 + timedelta(seconds=59)).object_id == 3
    with pytest.raises(qr.TokenExpired):
        qr.read(token, at=T0 + timedelta(seconds=60))


def test_token_from_the_future_is_invalid():
    token = qr.live_token("s", 1, at=T0 + timedelta(minutes=5))[0]
    with pytest.raises(qr.InvalidToken):
        qr.read(token, at=T0)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p[:1] + ["a"] + p[2:],  # another kind
        lambda p: p[:2] + ["8"] + p[3:],  # another object
        lambda p: p[:3] + [str(int(p[3]) + 1)] + p[4:],  # another window
        lambda p: p[:4] + [p[4][::-1]],  # another signature
        lambda p: p[:2] + ["07"] + p[3:],  # the same number spelt differently
    ],
)
def test_any_alteration_is_invalid(change):
    parts = qr.live_token("s", 7, at=T0)[0].split(".")
    with pytest.raises(qr.InvalidToken):
        qr.read(".".join(change(parts)), at=T0)


def test_token_signed_with_another_key_is_invalid(monkeypatch):
    token = qr.live_token("s", 7, at=T0)[0]
    monkeypatch.setattr(qr, "_key", lambda: b"someone-else")
    with pytest.raises(qr.InvalidToken):
        qr.read(token, at=T0)


def test_short_code_current_expired_and_wrong():
    _, _, short = qr.live_token("s", 12, at=T0)
    assert short.startswith("S12-")
    assert qr.read(short, at=T0).key == f"s:12:{qr.window_of(T0)}"
    with pytest.raises(qr.TokenExpired):
        qr.read(short, at=T0 + timedelta(minutes=5))
    digits = short[-6:]
    wrong = f"{(int(digits) + 1) % 1_000_000:06d}"
    with pytest.raises(qr.InvalidToken):
        qr.read(f"S12-{wrong}", at=T0 + timedelta(days=1))


def test_card_and_ticket_have_no_window():
    assert qr.read(qr.card_token(5), at=T0 + timedelta(days=400)) == qr.Code("c", 5, 0)
    assert qr.read(qr.ticket_token(9, 44), at=T0 + timedelta(days=400)) == qr.Code("t", 9, 44)


def test_scan_url_is_unwrapped():
    token = qr.live_token("s", 7, at=T0)[0]
    assert qr.read(qr.scan_url(token), at=T0).object_id == 7


async def test_svg_renders_a_qr_code():
    svg = await qr.svg("https://example.org/scan?t=v1.s.1.2.abc")
    assert svg.startswith("<svg")
