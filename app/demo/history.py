"""Demo history at believable times: postings stamped when the service happened, not when seeded."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from app import clock


@contextmanager
def clock_at(when: datetime) -> Iterator[None]:
    """Run the block with the app clock at `when` (the ledger stamps a txn with the clock), then back."""
    delta = when - clock.now()
    clock.travel(delta)
    try:
        yield
    finally:
        clock.travel(-delta)
