"""Sign-in under real concurrency: a burst of guesses never gets more than 5 tries, a code signs in once,
a phone gets one code a minute however many taps arrive together."""

import asyncio

from sqlmodel import select

from app.models.auth import SmsCode
from app.models.user import User
from tests.factories import next_phone

BURST = 20


async def _code(c, phone: str) -> str:
    resp = await c.post("/api/v1/auth/sms-code", json={"phone": phone})
    assert resp.status_code == 200, resp.text
    return resp.json()["debug_code"]


async def test_burst_of_wrong_guesses_counts_at_most_five_tries(live):
    phone = next_phone()
    async with live.client() as c:
        code = await _code(c, phone)
        bad = f"{(int(code) + 1) % 1_000_000:06d}"
        responses = await asyncio.gather(
            *(c.post("/api/v1/auth/login", json={"phone": phone, "code": bad}) for _ in range(BURST))
        )
        after = await c.post("/api/v1/auth/login", json={"phone": phone, "code": code})
    outcomes = sorted((r.status_code, r.json()["code"]) for r in responses)
    assert outcomes == [(400, "invalid_code")] * 4 + [(429, "too_many_attempts")] * (BURST - 4)
    assert (after.status_code, after.json()["code"]) == (429, "too_many_attempts")
    async with live.db.session() as s:
        row = (await s.exec(select(SmsCode).where(SmsCode.phone == phone))).one()
    assert row.attempts == 5
    assert row.used_at is None


async def test_one_code_signs_in_once_under_a_burst(live):
    phone = next_phone()
    async with live.client() as c:
        code = await _code(c, phone)
        responses = await asyncio.gather(
            *(c.post("/api/v1/auth/login", json={"phone": phone, "code": code}) for _ in range(BURST))
        )
    assert sorted(r.status_code for r in responses) == [200] + [400] * (BURST - 1)
    async with live.db.session() as s:
        users = (await s.exec(select(User).where(User.phone == phone))).all()
    assert len(users) == 1


async def test_burst_of_code_requests_sends_one(live):
    phone = next_phone()
    async with live.client() as c:
        responses = await asyncio.gather(
            *(c.post("/api/v1/auth/sms-code", json={"phone": phone}) for _ in range(BURST))
        )
    assert sorted(r.status_code for r in responses) == [200] + [429] * (BURST - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 429} == {"sms_too_frequent"}
    async with live.db.session() as s:
        rows = (await s.exec(select(SmsCode).where(SmsCode.phone == phone))).all()
    assert len(rows) == 1
