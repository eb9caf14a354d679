"""`ejia audit-ledger`: exit 0 on a sound ledger; non-zero, naming the txn, after a hand edit."""

import asyncio
import os
import sys

from sqlalchemy import text

from app.services import ledger
from tests.conftest import TEST_DB_URL
from tests.factories import make_tree, make_user


async def _run_cli() -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": TEST_DB_URL, "EJIA_ENV": "test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from app.cli import main; main()",
        "audit-ledger",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def _ledger_of_three(live) -> list[int]:
    async with live.db.session() as s:
        tree = await make_tree(s)
        user = await make_user(s, home=tree.compound)
        ids = []
        for i in range(3):
            txn = await ledger.credit_service(
                s,
                org_id=tree.compound.id,
                user_id=user.id,
                minutes=30 * (i + 1),
                ref_type="wish",
                ref_id=i,
                memo="帮忙",
                actor_id=None,
            )
            ids.append(txn.id)
        await s.commit()
        return ids


async def test_sound_ledger_exits_zero(live):
    await _ledger_of_three(live)
    code, out = await _run_cli()
    assert code == 0, out
    assert "账本完好" in out
    assert "3 笔流水" in out


async def test_hand_edited_entry_is_detected(live):
    ids = await _ledger_of_three(live)
    async with live.db.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE ledger_entries SET amount_minutes = amount_minutes + 600 "
                "WHERE txn_id = :t AND amount_minutes > 0"
            ),
            {"t": ids[1]},
        )
    code, out = await _run_cli()
    assert code == 1, out
    assert f"哈希链在流水 {ids[1]} 处断开" in out
    assert f"流水 {ids[1]} 的分录合计为 600 分钟" in out
    assert "账本校验失败" in out
