"""ejia as `python -m bench http` serves it: the real app, plus counts of SQL statements and responses per worker.

Every statement SQLAlchemy sends (an engine event hook on every engine) adds one to the first
8-byte counter in a file named after the worker's pid under EJIA_BENCH_SQL_DIR, every response
started to the second and every request received to the third, all mapped into memory, so the bench reads exact counts from outside while
the workers run (and sees the requests the server finished, not only those the client timed).
"""

import mmap
import os
import struct

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.main import app as ejia

_DIR = os.environ.get("EJIA_BENCH_SQL_DIR")
if _DIR:
    _path = os.path.join(_DIR, str(os.getpid()))
    with open(_path, "wb") as f:
        f.write(b"\0" * 24)
    _file = open(_path, "r+b")  # noqa: SIM115 - kept open for the worker's life
    _counter = mmap.mmap(_file.fileno(), 24)
    _counts = [0, 0, 0]

    def _add(slot: int) -> None:
        _counts[slot] += 1
        struct.pack_into("q", _counter, slot * 8, _counts[slot])

    @event.listens_for(Engine, "before_cursor_execute")
    def _one_more(*_args) -> None:
        _add(0)

    async def app(scope, receive, send):
        async def counting_send(message):
            if message["type"] == "http.response.start":
                _add(1)
            await send(message)

        if scope["type"] != "http":
            return await ejia(scope, receive, send)
        _add(2)
        await ejia(scope, receive, counting_send)
else:
    app = ejia
