"""Run the SAM app on a laptop: moto as AWS, the HttpApi routes, SQS event source mappings and schedules.

    with LocalRuntime() as rt:
        httpx.post(f"{rt.api_url}/webhooks/shopify/store-1", ...)
        rt.drain()

All functions run in this one process. Their environment variables are therefore merged into os.environ once,
at start, rather than swapped per invocation: a handler may call back into the runtime over HTTP while it
runs, and per-invocation environments would need a lock held across that call. Two functions giving one
variable different values is refused at start.
"""

import contextlib
import importlib.util
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from storelink_local.aws import (
    AwsClients,
    MotoServer,
    aws_environment,
    create_resources,
    patched_environ,
    redirecting_variables,
)
from storelink_local.function_logs import FunctionLogs
from storelink_local.http_api import INTERNAL_SERVER_ERROR, HttpApi, Route, status_of
from storelink_local.invocations import Invocation, InvocationLog, Outcome, Trigger
from storelink_local.lambda_context import LambdaContext
from storelink_local.permissions import PermissionGuard
from storelink_local.redrive import redrive
from storelink_local.schedules import Schedules
from storelink_local.sqs_mapping import (
    DEFAULT_MAX_ROUNDS,
    DrainSummary,
    SendDelays,
    SqsEventSource,
    delayed_dropped,
    delays_passed,
)
from storelink_local.template import Function, StackContext, Template, load_template

logger = logging.getLogger(__name__)

Handler = Callable[[Any, LambdaContext], Any]


def _module_name(function: Function) -> str:
    # Every function's module is `app`; a name per function keeps them apart in sys.modules.
    return f"_storelink_local_function_{function.logical_id}"


class RuntimeConfigError(Exception):
    """The template cannot run in one local process (conflicting environments, a second runtime)."""


def merged_environment(functions: Mapping[str, Function], base: Mapping[str, str]) -> dict[str, str]:
    """The union of every function's variables and `base`; one name with two values is an error."""
    merged = dict(base)
    owner = dict.fromkeys(base, "the local AWS settings")
    conflicts: list[str] = []
    for function in functions.values():
        for name, value in function.environment.items():
            if name in merged and merged[name] != value:
                conflicts.append(f"{name}: {owner[name]} sets {merged[name]!r}, {function.logical_id} sets {value!r}")
            else:
                merged[name] = value
                owner.setdefault(name, function.logical_id)
    if conflicts:
        raise RuntimeConfigError(
            "all functions share one process environment locally, so a variable must have one value:\n  "
            + "\n  ".join(conflicts)
        )
    return merged


class LocalRuntime:
    # moto's backends and os.environ are process-wide: one runtime at a time.
    _active_lock = threading.Lock()

    def __init__(
        self,
        template_path: Path = Path("template.yaml"),
        project_root: Path | None = None,
        *,
        api_port: int = 0,
        moto_port: int = 0,
        parameter_overrides: Mapping[str, str] | None = None,
        capture_function_output: bool = False,
    ):
        self.template_path = template_path
        self.project_root = project_root if project_root is not None else template_path.parent
        self.invocations = InvocationLog()
        self._api_port = api_port
        self._moto_port = moto_port
        self._parameter_overrides = dict(parameter_overrides or {})
        # Off: handlers print to the terminal (make dev, tests). On: to rt.function_logs, as on Lambda.
        self._capture_function_output = capture_function_output
        self.function_logs = FunctionLogs(sys.stdout)
        self._exit_stack = ExitStack()
        self._handlers: dict[str, Handler] = {}
        # Set by start().
        self._load_locks: dict[str, threading.Lock]
        self._run_locks: dict[str, threading.Lock]
        self.template: Template
        self.aws: AwsClients
        self.moto_endpoint = ""
        self.api_url = ""
        self.http_api: HttpApi
        self.sqs: SqsEventSource
        self.schedules: Schedules
        # Every AWS call a handler makes, checked against its role in the template (permissions.py).
        self.permissions: PermissionGuard
        self._send_delays = SendDelays()

    # --- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        if not LocalRuntime._active_lock.acquire(blocking=False):
            raise RuntimeConfigError("another LocalRuntime is running in this process")
        with ExitStack() as stack:
            stack.callback(LocalRuntime._active_lock.release)
            moto = MotoServer(self._moto_port)
            self.moto_endpoint = moto.start()
            stack.callback(moto.stop)
            context = StackContext(sqs_endpoint=self.moto_endpoint, parameter_overrides=self._parameter_overrides)
            self.template = load_template(self.template_path, context)
            self.permissions = PermissionGuard(context)
            stack.enter_context(self.permissions.installed())
            stack.enter_context(self._send_delays.installed())
            self._load_locks = {logical_id: threading.Lock() for logical_id in self.template.functions}
            self._run_locks = {logical_id: threading.Lock() for logical_id in self.template.functions}
            aws_env = aws_environment(self.moto_endpoint, context.region)
            stack.enter_context(patched_environ(aws_env, remove=redirecting_variables()))
            self.aws = AwsClients.from_environment()
            create_resources(self.template, self.aws)
            stack.enter_context(patched_environ(merged_environment(self.template.functions, aws_env)))
            stack.callback(self._unload_handlers)

            if self._capture_function_output:
                # Before any handler is imported: loggers keep the stream they were created with.
                stack.enter_context(contextlib.redirect_stdout(self.function_logs))
            self.http_api = HttpApi(self.template, self._invoke_route, self._api_port)
            self.api_url = self.http_api.start()
            stack.callback(self.http_api.stop)
            self.sqs = SqsEventSource(self.template, self.aws.sqs, self._invoke)
            stack.callback(self.sqs.stop_pollers)
            self.schedules = Schedules(self.template, self._invoke)
            stack.callback(self.schedules.stop)
            self._exit_stack = stack.pop_all()

    def stop(self) -> None:
        self._exit_stack.close()

    # --- invoking ---------------------------------------------------------------------------------

    def invoke(self, function_logical_id: str, event: Any) -> Any:
        """Call a function directly, as `aws lambda invoke` would; its exception propagates."""
        return self._invoke(function_logical_id, event, trigger="direct", summary={})

    def drain(self, max_rounds: int = DEFAULT_MAX_ROUNDS) -> DrainSummary:
        """Deliver every subscribed queue's messages, retries and dead-lettering included, until all are empty."""
        return self.sqs.drain(max_rounds)

    def delays_skipped(self) -> AbstractContextManager[list[int]]:
        """Within the block, handlers' messages sent with a delay are delivered by `drain()` at once, as if the
        delay had passed (sqs_mapping.SendDelays); yields the delays they asked for."""
        return self._send_delays.skipped()

    def delays_passed(self) -> int:
        """Messages already held for their delay are delivered by the next `drain()`, as if the delay had passed:
        for a story where a delayed message must come after what the test does meanwhile. Returns how many."""
        return delays_passed()

    def delayed_dropped(self) -> int:
        """Messages still held for their delay are gone (the runtime lasts a test module: they must not reach a
        later test's drain). Returns how many."""
        return delayed_dropped()

    def redrive(self, queue_logical_id: str) -> int:
        """Move every message of the queue's dead-letter queue back to it, as `aws sqs start-message-move-task
        --source-arn <DLQ> --destination-arn <queue>` does on AWS; returns how many. Then drain() delivers them."""
        queue = self.template.queues[queue_logical_id]
        if queue.redrive is None:
            raise ValueError(f"{queue_logical_id} has no RedrivePolicy, so no dead-letter queue to redrive")
        return redrive(self.aws.sqs, self.template.queues[queue.redrive.dead_letter_queue], queue)

    def start_pollers(self) -> None:
        self.sqs.start_pollers()

    def stop_pollers(self) -> None:
        self.sqs.stop_pollers()

    def fire_schedule(self, name: str) -> Any:
        """Invoke a scheduled function now; `name` is `Function.Event`, the event's name, or the function's."""
        return self.schedules.fire(self.schedules.find(name))

    def start_schedules(self) -> None:
        self.schedules.start()

    def stop_schedules(self) -> None:
        self.schedules.stop()

    def _invoke_route(self, route: Route, event: dict[str, Any]) -> Any:
        return self._invoke(
            route.function,
            event,
            trigger="http",
            summary={"route": route.event.route_key, "path": event["rawPath"]},
            describe=lambda result: {"status": status_of(result)},
            on_error={"status": INTERNAL_SERVER_ERROR.status},
        )

    def _invoke(
        self,
        function: str,
        event: Any,
        *,
        trigger: Trigger,
        summary: Mapping[str, Any],
        describe: Callable[[Any], Mapping[str, Any]] | None = None,
        on_error: Mapping[str, Any] | None = None,
    ) -> Any:
        if function not in self.template.functions:
            raise KeyError(f"no function {function!r} in {self.template_path} ({', '.join(self.template.functions)})")
        spec = self.template.functions[function]
        context = LambdaContext(
            function_name=spec.name,
            function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_size,
            timeout_s=spec.timeout,
        )
        started_at, started = datetime.now(UTC), time.perf_counter()

        def record(outcome: Outcome, details: Mapping[str, Any], error: str | None = None) -> None:
            invocation = Invocation(
                function=function,
                trigger=trigger,
                request_id=context.aws_request_id,
                started_at=started_at,
                ended_at=datetime.now(UTC),
                started=started,
                ended=time.perf_counter(),
                outcome=outcome,
                summary={**summary, **details},
                error=error,
            )
            self.invocations.append(invocation)
            logger.info(
                "%s %s %s in %.1f ms %s%s",
                function,
                trigger,
                outcome,
                invocation.duration_ms,
                dict(invocation.summary),
                f": {error}" if error else "",
            )

        try:
            handler = self._handler(spec)
            # Lambda passes JSON in and out: the handler gets its own decoded copy of the event, and a
            # result that is not JSON fails the invocation (Runtime.MarshalError).
            # One invocation of a function at a time, as in one Lambda container: its module state (Powertools'
            # resolver keeps the current event on the class) is shared by every invocation in this process.
            with self._run_locks[function], self.function_logs.capturing(function), self.permissions.acting_as(spec):
                result = json.loads(json.dumps(handler(json.loads(json.dumps(event)), context)))
        except Exception as error:
            record("error", on_error or {}, f"{type(error).__name__}: {error}")
            raise
        if context.get_remaining_time_in_millis() == 0:
            logger.warning("%s ran past its %d s timeout; Lambda would have stopped it", function, spec.timeout)
        record("ok", describe(result) if describe else {})
        return result

    def _handler(self, function: Function) -> Handler:
        """Import the handler on first use, like a Lambda cold start; a failed import is retried next time."""
        with self._load_locks[function.logical_id]:
            if function.logical_id not in self._handlers:
                self._handlers[function.logical_id] = self._load_handler(function)
            return self._handlers[function.logical_id]

    def _load_handler(self, function: Function) -> Handler:
        path = self.project_root / function.handler_file
        module_name = _module_name(function)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ImportError(f"{function.logical_id}: no handler module at {path}")
        module = importlib.util.module_from_spec(spec)
        # Registered before running it, as importlib's recipe does, so dataclasses and pydantic can find it.
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        handler = getattr(module, function.handler_function, None)
        if not callable(handler):
            raise ImportError(f"{function.logical_id}: {path} has no function {function.handler_function}")
        return handler

    def _unload_handlers(self) -> None:
        for logical_id in self._handlers:
            sys.modules.pop(_module_name(self.template.functions[logical_id]), None)
        self._handlers.clear()
