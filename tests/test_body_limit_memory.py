"""A real server refuses four 300 MB JSON bodies and a 1 GB upload (declared and chunked) in flat memory."""

import argparse
import tempfile

from bench.bodies import PEAK_LIMIT_MB, peak_rss_mb, refused_early, run
from bench.checkin_burst import _server, _wait_ready


async def test_oversized_bodies_keep_the_servers_peak_memory_under_200_mb():
    args = argparse.Namespace(json_mb=300, json_parallel=4, upload_mb=1024)
    with _server(f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='ejia-bodies-')}/b.db") as (base, proc, _log):
        await _wait_ready(base, proc)
        result = await run(base, proc.pid, args)
        assert peak_rss_mb(proc.pid) < PEAK_LIMIT_MB
    assert len(result["replies"]) == 10
    assert refused_early(result["replies"]), result["replies"]
    assert any(status == 413 for status, _code, _sent in result["replies"])
    assert result["peak_after_mb"] < PEAK_LIMIT_MB
