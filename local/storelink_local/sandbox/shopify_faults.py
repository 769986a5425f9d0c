"""What a test or a benchmark makes go wrong in a sandbox store, and what it counts.

Faults are planned per request, in order: `fail_next(503, 502)` makes the next two requests fail, then
`throttle_next`, `drop_next` and `hold_next` queue behind them. With nothing queued, `error_rate` fails
requests at random from a seeded generator, so a run repeats exactly. `latency` is added to every answer
through an injectable `sleep`, so a test can record it instead of waiting. Faults apply to authenticated,
well-formed GraphQL requests; a wrong token or path is refused as before, and takes no planned fault.
"""

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum


class FaultKind(Enum):
    STATUS = "status"  # answer with an HTTP error status, apply nothing
    THROTTLE = "throttle"  # answer THROTTLED whatever the bucket holds
    DROP = "drop"  # close the connection without an answer
    HOLD = "hold"  # keep the connection open without answering, past the client's timeout


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 0
    seconds: float = 0.0
    # A dropped or held request may still have been applied: what a client that times out cannot tell.
    after_applying: bool = False


class Faults:
    def __init__(self, *, seed: int = 0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.latency = 0.0
        self.error_rate = 0.0
        self.error_statuses: tuple[int, ...] = (500, 502, 503)
        self.sleep = sleep
        self._random = random.Random(seed)  # noqa: S311 - seeded on purpose: a run repeats exactly
        self._lock = threading.Lock()
        self._planned: deque[Fault | None] = deque()

    def pass_next(self, count: int = 1) -> None:
        """The next `count` requests are answered as usual: how a plan reaches a later request."""
        self._plan(None for _ in range(count))

    def fail_next(self, *statuses: int) -> None:
        """The next len(statuses) requests fail with these HTTP statuses, in order."""
        for status in statuses:
            if not 500 <= status <= 599:
                raise ValueError(f"a server failure has a 5xx status, not {status}")
        self._plan(Fault(FaultKind.STATUS, status=status) for status in statuses)

    def throttle_next(self, count: int = 1) -> None:
        self._plan(Fault(FaultKind.THROTTLE) for _ in range(count))

    def drop_next(self, count: int = 1, *, after_applying: bool = False) -> None:
        self._plan(Fault(FaultKind.DROP, after_applying=after_applying) for _ in range(count))

    def hold_next(self, seconds: float, count: int = 1, *, after_applying: bool = False) -> None:
        """Holds the answer `seconds` (released early when the sandbox stops): longer than a client's timeout."""
        self._plan(Fault(FaultKind.HOLD, seconds=seconds, after_applying=after_applying) for _ in range(count))

    def next_fault(self) -> Fault | None:
        """The fault for the request arriving now, if any."""
        with self._lock:
            if self._planned:
                return self._planned.popleft()
            if self.error_rate > 0 and self._random.random() < self.error_rate:
                return Fault(FaultKind.STATUS, status=self._random.choice(self.error_statuses))
            return None

    def _plan(self, faults: Iterable[Fault | None]) -> None:
        with self._lock:
            self._planned.extend(faults)


@dataclass
class OperationStats:
    calls: int = 0
    cost: int = 0
    throttled: int = 0
    failed: int = 0


class Stats:
    """Calls and cost as the store counted them, in all and per operation name (None: anonymous)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = OperationStats()
        self._operations: dict[str | None, OperationStats] = {}

    @property
    def calls(self) -> int:
        with self._lock:
            return self._total.calls

    @property
    def cost(self) -> int:
        with self._lock:
            return self._total.cost

    @property
    def throttled(self) -> int:
        with self._lock:
            return self._total.throttled

    @property
    def failed(self) -> int:
        with self._lock:
            return self._total.failed

    def operation(self, name: str | None) -> OperationStats:
        with self._lock:
            counted = self._operations.get(name, OperationStats())
            return OperationStats(counted.calls, counted.cost, counted.throttled, counted.failed)

    @property
    def operations(self) -> dict[str | None, OperationStats]:
        with self._lock:
            return {
                name: OperationStats(s.calls, s.cost, s.throttled, s.failed) for name, s in self._operations.items()
            }

    def record(self, name: str | None, *, cost: int = 0, throttled: bool = False, failed: bool = False) -> None:
        with self._lock:
            for counted in (self._total, self._operations.setdefault(name, OperationStats())):
                counted.calls += 1
                counted.cost += cost
                counted.throttled += int(throttled)
                counted.failed += int(failed)

    def reset(self) -> None:
        with self._lock:
            self._total = OperationStats()
            self._operations.clear()
