"""The HTTP plumbing every sandbox store shares: a threaded local server that hands each request to the store
and sends back its reply, or (a planned fault) drops or holds the connection.

A store gives `SandboxServer` one function, Request -> Reply, and a reply for its own bugs (each platform words
a 500 its own way); the server does the threads, the lifecycle, and the held answers that `stop` releases so a
test's teardown never waits one out.
"""

import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as sent
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


@dataclass(frozen=True)
class Reply:
    """What the server does with a request: answer it, or drop or hold the connection."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    action: Literal["answer", "drop", "hold"] = "answer"
    hold_seconds: float = 0.0

    @classmethod
    def json(cls, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> "Reply":
        return cls(status, json.dumps(payload).encode(), headers=headers)

    @classmethod
    def dropped(cls) -> "Reply":
        return cls(0, action="drop")

    @classmethod
    def held(cls, seconds: float) -> "Reply":
        return cls(0, action="hold", hold_seconds=seconds)


class SandboxServer:
    """Serves `serve` on 127.0.0.1 at a free port while started."""

    def __init__(self, serve: Callable[[Request], Reply], on_error: Callable[[Exception], Reply], name: str) -> None:
        self._serve = serve
        self._on_error = on_error
        self._name = name
        self._released = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the sandbox is already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.sandbox = self
        self._server = server
        self._released.clear()
        # A short poll interval keeps stop() (and so each test's teardown) from waiting half a second.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._released.set()  # held answers go now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    @property
    def started(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply_to(self, request: Request) -> Reply:
        try:
            return self._serve(request)
        except Exception as error:  # a sandbox bug: answer, and say what broke, rather than hang up
            _log.exception("the %s failed on %s %s", self._name, request.method, request.target)
            return self._on_error(error)

    def hold(self, seconds: float) -> None:
        """Released early when the sandbox stops, so a test's teardown never waits it out."""
        self._released.wait(seconds)


class Served:
    """A sandbox store's lifecycle: served while started, or inside a `with` block."""

    _server: SandboxServer

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of storelink's calls (a fan-out, a sweep) must queue, not be refused: Python's default is 5.
    request_queue_size = 128
    sandbox: SandboxServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
        )
        sandbox = self.server.sandbox
        reply = sandbox.reply_to(request)
        if reply.action != "answer":
            if reply.action == "hold":
                sandbox.hold(reply.hold_seconds)
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on what the store recorded, not on access logs."""


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header; None for anything else."""
    if header is None or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator else None


@dataclass(frozen=True)
class _Hook:
    callback: Callable[[], None]
    path: str | None


class WriteHooks:
    """Callbacks a test plans to run once, when the next write (to a path, when given) is about to be applied:
    how a sale lands between a client's read and its write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: list[_Hook] = []

    def add(self, callback: Callable[[], None], path: str | None) -> None:
        with self._lock:
            self._hooks.append(_Hook(callback, path))

    def run(self, path: str) -> None:
        with self._lock:
            due = [hook for hook in self._hooks if hook.path is None or hook.path == path]
            self._hooks = [hook for hook in self._hooks if hook not in due]
        for hook in due:
            hook.callback()
