"""The invocation log: one entry per handler call, so a demo can show where the time goes hop by hop."""

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, overload

Trigger = Literal["direct", "http", "sqs", "schedule"]
Outcome = Literal["ok", "error"]


@dataclass(frozen=True)
class Invocation:
    function: str  # logical id
    trigger: Trigger
    request_id: str
    started_at: datetime  # wall clock, UTC
    ended_at: datetime
    started: float  # time.perf_counter(), for durations and the gaps between hops
    ended: float
    outcome: Outcome
    # What the trigger wants to show: route and status, queue, batch size and failures, schedule.
    summary: Mapping[str, Any]
    error: str | None = None

    @property
    def duration_ms(self) -> float:
        return (self.ended - self.started) * 1000


class Invoker(Protocol):
    """How the HTTP API, the SQS pollers and the schedules call a function through the runtime."""

    def __call__(
        self,
        function: str,
        event: Any,
        *,
        trigger: Trigger,
        summary: Mapping[str, Any],
        describe: Callable[[Any], Mapping[str, Any]] | None = None,
        on_error: Mapping[str, Any] | None = None,
    ) -> Any:
        """`summary` is logged always; `describe(result)` adds to it on success, `on_error` on an exception."""


class InvocationLog(Sequence[Invocation]):
    """Appended to from every invoking thread at once; reads see a consistent snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._entries: list[Invocation] = []

    def append(self, invocation: Invocation) -> None:
        with self._lock:
            self._entries.append(invocation)
            self._lock.notify_all()

    def wait_for(self, predicate: Callable[[list[Invocation]], bool], timeout: float) -> bool:
        """Block until the entries satisfy `predicate` (woken by each append, no polling); False on timeout.

        For work done in the background, by `make dev`'s pollers and schedules or behind an HTTP call.
        """
        with self._lock:
            return self._lock.wait_for(lambda: predicate(list(self._entries)), timeout)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[Invocation]:
        with self._lock:
            return list(self._entries)

    @overload
    def __getitem__(self, index: int) -> Invocation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Invocation]: ...
    def __getitem__(self, index: int | slice) -> Invocation | list[Invocation]:
        return self.snapshot()[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[Invocation]:
        return iter(self.snapshot())
