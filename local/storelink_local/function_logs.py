"""Function output goes to the function's log, as on Lambda (CloudWatch Logs), not to the terminal.

All functions share this process and its sys.stdout, and a handler may run while another waits on it
(in another thread), so the routing follows the context (a context variable): writes made while a handler
runs, or in the threads it hands its context to, are kept under that function's name; every other write
passes through.
"""

import contextvars
import io
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class FunctionLogs(io.TextIOBase):
    def __init__(self, passthrough: TextIO) -> None:
        self._passthrough = passthrough
        self._current: contextvars.ContextVar[str | None] = contextvars.ContextVar("function", default=None)
        self._lock = threading.Lock()
        self._lines: dict[str, list[str]] = defaultdict(list)

    @contextmanager
    def capturing(self, function: str) -> Iterator[None]:
        token = self._current.set(function)
        try:
            yield
        finally:
            self._current.reset(token)

    def write(self, text: str) -> int:
        function = self._current.get()
        if function is None:
            return self._passthrough.write(text)
        with self._lock:
            self._lines[function].append(text)
        return len(text)

    def flush(self) -> None:
        # Also called when this object is collected, possibly after the terminal stream was closed.
        if not self._passthrough.closed:
            self._passthrough.flush()

    def of(self, function: str) -> str:
        """Everything `function` wrote so far."""
        with self._lock:
            return "".join(self._lines[function])
