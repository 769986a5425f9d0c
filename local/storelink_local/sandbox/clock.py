"""Time for the sandbox stores: the system clock, or a manual one that tests move by hand.

One clock drives everything time-dependent in a sandbox (the cost bucket's refill, the 60-day order
window, bulk operations finishing, timestamps), so a test that advances it sees all of them move together
and never sleeps.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until `advance` moves it."""

    def __init__(self, start: datetime = datetime(2026, 9, 1, 12, tzinfo=UTC)) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be timezone-aware")
        self._lock = threading.Lock()
        self._now = start

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, *, days: float = 0.0) -> datetime:
        with self._lock:
            self._now += timedelta(days=days, seconds=seconds)
            return self._now
