"""Oversized request bodies against a real server: every one is refused with 413, and its peak memory stays flat.

    python -m bench bodies                    # starts its own server on loopback (SQLite temp file)
    python -m bench bodies --json-mb 300 --json-parallel 4 --upload-mb 1024

Sends, anonymously (the limit is checked before authentication): `--json-parallel` JSON bodies of
`--json-mb` each with a Content-Length, the same again chunked (no length, so the server has to count),
and one multipart photo upload of `--upload-mb` both ways. Each sender stops as soon as the status line
arrives. Prints each reply, the bytes the client managed to send, and the server's peak RSS (VmHWM).
"""

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.checkin_burst import _server, _wait_ready  # noqa: E402

MB = 1024 * 1024
PEAK_LIMIT_MB = 200
# A refused sender can still push what the socket buffers hold past the server's limit.
CUT_OFF_BY = 32 * MB


def _args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json-mb", type=int, default=300)
    p.add_argument("--json-parallel", type=int, default=4)
    p.add_argument("--upload-mb", type=int, default=1024)
    return p.parse_args(argv)


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (Linux only)")


async def _reply(reader: asyncio.StreamReader) -> bytes:
    """What the server said before closing (the reset that may follow is no news)."""
    got = b""
    try:
        while chunk := await reader.read(16 * 1024):
            got += chunk
    except OSError:
        pass
    return got


async def send_oversized(base: str, path: str, *, content_type: str, total: int, declare_length: bool):
    """POST `total` bytes, stopping when the server answers; (status, the problem code, bytes sent).

    The server closes a connection whose body it refused; when the client's next write crosses that
    close, the kernel's reset can discard the reply before it is read: status 0, code "reset".
    """
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    length = f"Content-Length: {total}" if declare_length else "Transfer-Encoding: chunked"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{length}\r\n\r\n".encode()
    )
    reply = asyncio.create_task(_reply(reader))
    piece, sent = b"x" * (64 * 1024), 0
    if content_type.startswith("multipart/"):  # a well-formed part, so only the size can refuse it
        piece = b'--xyz\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n' + piece
    try:
        while sent < total and not reply.done():
            chunk = piece[: total - sent]
            piece = piece[-64 * 1024 :]
            writer.write(chunk if declare_length else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
            await asyncio.sleep(0)  # let the reply be read the moment it arrives
    except OSError:  # the server closed a connection whose body it refused to read
        pass
    head = await asyncio.wait_for(reply, 30)
    writer.close()
    if not head:
        return 0, "reset", sent
    status = int(head.split(b" ", 2)[1])
    code = re.search(rb'"code": ?"(\w+)"', head)
    return status, code[1].decode() if code else "", sent


def refused_early(replies) -> bool:
    """Every body was answered 413 payload_too_large, or cut off long before its end (a reset)."""
    return all(
        (status, code) == (413, "payload_too_large") or (code == "reset" and sent < CUT_OFF_BY)
        for status, code, sent in replies
    )


async def run(base: str, pid: int, args: argparse.Namespace) -> dict:
    """Send every oversized body; the replies and the server's peak RSS before and after."""
    before = peak_rss_mb(pid)
    json_type, upload_type = "application/json", "multipart/form-data; boundary=xyz"
    started = time.perf_counter()
    replies = []
    for declare in (True, False):
        replies += await asyncio.gather(
            *(
                send_oversized(
                    base,
                    "/api/v1/timebank/transfers",
                    content_type=json_type,
                    total=args.json_mb * MB,
                    declare_length=declare,
                )
                for _ in range(args.json_parallel)
            )
        )
        replies.append(
            await send_oversized(
                base,
                "/api/v1/wishes/1/photos",
                content_type=upload_type,
                total=args.upload_mb * MB,
                declare_length=declare,
            )
        )
    return {
        "replies": replies,
        "seconds": time.perf_counter() - started,
        "peak_before_mb": before,
        "peak_after_mb": peak_rss_mb(pid),
    }


async def _main(args: argparse.Namespace) -> int:
    database_url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='ejia-bench-')}/bodies.db"
    with _server(database_url) as (base, proc, log):
        await _wait_ready(base, proc)
        result = await run(base, proc.pid, args)
    for status, code, sent in result["replies"]:
        print(f"  {status} {code:<18} client sent {sent / MB:8.1f} MB before the reply")
    print(f"{len(result['replies'])} oversized bodies in {result['seconds']:.2f} s")
    print(f"server peak RSS: {result['peak_before_mb']:.1f} MB idle, {result['peak_after_mb']:.1f} MB after")
    return 0 if refused_early(result["replies"]) and result["peak_after_mb"] < PEAK_LIMIT_MB else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main(_args())))
