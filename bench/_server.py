"""ejia as `python -m bench http` serves it: the real app, plus a count of SQL statements per worker.

Every statement SQLAlchemy sends (an engine event hook on every engine) adds one to an 8-byte
counter in a file named after the worker's pid under EJIA_BENCH_SQL_DIR, mapped into memory, so
the bench reads the exact count from outside while the workers run.
"""

import mmap
import os
import struct

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.main import app  # noqa: F401 - what uvicorn serves

_DIR = os.environ.get("EJIA_BENCH_SQL_DIR")
if _DIR:
    _path = os.path.join(_DIR, str(os.getpid()))
    with open(_path, "wb") as f:
        f.write(b"\0" * 8)
    _file = open(_path, "r+b")  # noqa: SIM115 - kept open for the worker's life
    _counter = mmap.mmap(_file.fileno(), 8)
    _count = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _one_more(*_args) -> None:
        _count[0] += 1
        struct.pack_into("q", _counter, 0, _count[0])
