"""Benchmark: a source stock change reaching all of its 10 destinations, where the time goes, and the sweep.

Runs the real handlers on the local runtime (moto server over HTTP, sandbox Shopify stores over HTTP), every
sandbox store answering each request `--latency-ms` late (50 by default). Prints Markdown tables; record them
in docs/benchmarks.md.

    .venv/bin/python bench/propagation.py [changes] [--delivery pollers|drain]

Propagation: one source store linked to 10 destinations, all selling one shirt mapped by SKU. Each change
sets the source's level; the clock stops when the last destination's inventory webhook reaches ingress (the
sandbox sends it as soon as the destination holds the new level, as in bench/stock_path.py). The queues are
delivered by the runtime's background pollers, as in `make dev` (`--delivery drain`: by `runtime.drain()`
from this thread, as bench/stock_path.py does). The first changes pay the cold starts and are left out.
Each write comes back as the destination's own inventory webhook, which ingress verifies and answers without
queueing (the destination is no link's source): these echoes are counted with the change that made them.

Where the time goes is measured inside this process, for storelink's own threads only (a handler running,
or a "destination" thread of the propagation's fan-out), never for moto's, the sandboxes' or the runtime's:
- waiting on stores: each `httpx.Client.send`, wrapped for this run;
- waiting on AWS: each request from `before-send` to `before-parse`, botocore events registered on every
  client as it is created (Powertools builds clients on sessions of its own, so the default session's
  events would miss them);
- CPU: per-thread CPU time, `time.thread_time()` around each handler call and the `pthread_getcpuclockid`
  clocks of the fan-out threads, not the process's CPU (moto and the sandbox stores run in this process).

Sweep: a link of `--sweep-variants` mapped variants (the shirt plus products of 9 sizes), swept through
`POST /links/{id}/sweep` with some levels drifted and then clean, counting the calls each store answered.

Three local limits are lifted for the run, as none exists in AWS or at Shopify: see `listen_backlog`,
`Meter.measured` (HTTP invocations take turns) and `stop_level_webhooks`.
"""

import argparse
import math
import os
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal

import httpx
from stock_path import SANDBOX_STORES, TEMPLATE, percentile

from storelink_local.aws import client_hooks
from storelink_local.invocations import Invocation
from storelink_local.runtime import Handler, LocalRuntime
from storelink_local.template import Function, load_template

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from storelink_local.scenario import LinkedShop, ManagementApi

FAN_OUT_THREAD_PREFIX = "destination"  # the thread_name_prefix of stock propagation's executor
INGRESS, STOCK_WORKER = "WebhookIngressFunction", "StockWorkerFunction"
STORE_WRITES = frozenset({"StorelinkSetAvailable", "StorelinkAdjustAvailable"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
LEVELS_PER_CALL = 250  # Shopify's largest `nodes(ids:)` and mutation input array
WARM_UP_CHANGES = 3  # cold imports, first clients, the fan-out's threads and the destinations' secrets
SIZES_PER_PRODUCT = 9
WORK_TIMEOUT_S = 60.0
LISTEN_BACKLOG = 128  # Linux's default somaxconn before 5.4; werkzeug (moto's server) listens with it too
OPERATION_NAME = re.compile(rb"(?:query|mutation)\s+(\w+)")
UNSUBSCRIBE = "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { userErrors { message } } }"


@dataclass(frozen=True)
class Call:
    """One request storelink made and waited for."""

    kind: Literal["store", "aws"]
    name: str  # the GraphQL operation, or service.Operation
    # The wait: the whole httpx send for a store; from botocore's before-send to before-parse for AWS.
    started: float
    ended: float
    cpu: float  # this thread's CPU inside the call: httpx's, or botocore's (serialise, sign, send, parse)
    resent: tuple[str, ...] = ()  # why botocore sent the request again, once per resend


@dataclass
class HandlerRun:
    function: str
    path: str  # the HTTP route's path, "" for a queue's batch
    arrived: float
    started: float  # after its turn (HTTP invocations take turns, see Meter.measured)
    ended: float = 0.0
    cpu: float = 0.0
    calls: list[Call] = field(default_factory=list)
    error: str = ""  # the exception's type, when the handler raised


class Meter:
    """Calls and CPU of storelink's own threads; everything else in the process is left out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http_turn = threading.Lock()
        self._local = threading.local()
        self.runs: list[HandlerRun] = []
        self.fan_out_calls: list[Call] = []

    def take(self) -> tuple[list[HandlerRun], list[Call]]:
        """What was recorded since the last take."""
        with self._lock:
            taken = self.runs, self.fan_out_calls
            self.runs, self.fan_out_calls = [], []
            return taken

    def measured(self, function: str, handler: Handler) -> Handler:
        def run(event: Any, context: Any) -> Any:
            path, arrived = event.get("rawPath", ""), time.perf_counter()
            # Lambda runs concurrent invocations in environments of their own; here they share one process,
            # where Powertools keeps the request being resolved in a class attribute (BaseRouter.current_event),
            # so two webhooks at once could each be read as the other: HTTP invocations take turns.
            with self._http_turn if path else nullcontext():
                record = HandlerRun(function, path, arrived, started=time.perf_counter())
                self._local.run = record
                cpu_before = time.thread_time()
                try:
                    return handler(event, context)
                except Exception as error:
                    record.error = type(error).__name__
                    raise
                finally:
                    record.cpu = time.thread_time() - cpu_before
                    record.ended = time.perf_counter()
                    self._local.run = None
                    with self._lock:
                        self.runs.append(record)

        return run

    def record(self, call: Call) -> None:
        run: HandlerRun | None = getattr(self._local, "run", None)
        with self._lock:
            if run is not None:
                run.calls.append(call)
            elif threading.current_thread().name.startswith(FAN_OUT_THREAD_PREFIX):
                self.fan_out_calls.append(call)

    @staticmethod
    def fan_out_cpu() -> float:
        """CPU seconds the fan-out's threads have used so far (its executor keeps them for the container's life)."""
        return sum(
            time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            for thread in threading.enumerate()
            if thread.name.startswith(FAN_OUT_THREAD_PREFIX) and thread.ident is not None
        )

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap httpx's client and botocore's clients for this process, until the block ends."""
        send = httpx.Client.send

        def timed_send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            started, cpu_before = time.perf_counter(), time.thread_time()
            try:
                return send(client, request, **kwargs)
            finally:
                named = OPERATION_NAME.search(request.content)
                name = named.group(1).decode() if named else request.url.path
                self.record(Call("store", name, started, time.perf_counter(), time.thread_time() - cpu_before))

        httpx.Client.send = timed_send  # type: ignore[method-assign, assignment]
        try:
            with client_hooks(
                ("before-call", self._aws_call_started),
                ("before-send", self._aws_request_sent),
                ("before-parse", self._aws_response_received),
                ("needs-retry", self._aws_attempt_ended),
                ("after-call", self._aws_call_ended),
                ("after-call-error", self._aws_call_ended),
            ):
                yield
        finally:
            httpx.Client.send = send  # type: ignore[method-assign]

    # botocore calls these in the calling thread: before-call, before-send, before-parse, after-call.
    def _aws_call_started(self, **_: Any) -> None:
        self._local.aws_cpu_before, self._local.aws_resent = time.thread_time(), []
        self._local.aws_attempt_outcome = None

    def _aws_request_sent(self, **_: Any) -> None:
        if self._local.aws_attempt_outcome is not None:  # a resend: say what ended the previous attempt
            self._local.aws_resent.append(self._local.aws_attempt_outcome)
        self._local.aws_sent, self._local.aws_received = time.perf_counter(), None

    def _aws_attempt_ended(self, response: Any, caught_exception: Exception | None, **_: Any) -> None:
        self._local.aws_attempt_outcome = (
            type(caught_exception).__name__ if caught_exception else f"HTTP {response[0].status_code}"
        )

    def _aws_response_received(self, **_: Any) -> None:
        self._local.aws_received = time.perf_counter()

    def _aws_call_ended(self, event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:]
        received = self._local.aws_received or time.perf_counter()  # no answer: the call failed on the way
        cpu = time.thread_time() - self._local.aws_cpu_before
        resent = tuple(self._local.aws_resent)
        self.record(Call("aws", f"{service}.{operation}", self._local.aws_sent, received, cpu, resent))


@contextmanager
def listen_backlog(connections: int) -> Iterator[None]:
    """The local HTTP servers (the runtime's HTTP API, the sandbox stores) listen with socketserver's backlog
    of 5: ten destinations' webhooks arriving at once overflow it, and the kernel retries a refused connection
    after 1 s (or the sandbox gives the delivery up after 5 s). API Gateway has no such queue."""
    default = ThreadingHTTPServer.request_queue_size
    ThreadingHTTPServer.request_queue_size = connections
    try:
        yield
    finally:
        ThreadingHTTPServer.request_queue_size = default


class MeteredRuntime(LocalRuntime):
    """The local runtime with every handler wrapped by the meter as the runtime imports it (on first use)."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True)
        self._meter = meter

    def _load_handler(self, function: Function) -> Handler:
        return self._meter.measured(function.logical_id, super()._load_handler(function))


@dataclass(frozen=True)
class ChangeFigures:
    """One source change, in seconds; calls counted by phase and name."""

    end_to_end: float
    webhook_and_ingress: float  # the change → ingress's SendMessage of it answered
    queue_to_worker: float  # queued → the stock worker's handler starts (ingress still finishing meanwhile)
    worker_before_fan_out: float  # handler start → the first destination call (claim, plan)
    fan_out: float  # the first destination call → the last destination holds the level
    store_wait: float  # wall time some storelink thread waited on a store, within the end-to-end window
    aws_wait: float  # the same for AWS
    waiting: float  # wall time some storelink thread waited on a store or on AWS, within the window
    store_wait_summed: float  # over every thread and call (the fan-out waits on 10 stores at once)
    cpu_source_ingress: float  # the source's webhook at ingress
    cpu_stock_worker: float  # the stock worker's run for the change, in its own thread
    cpu_fan_out: float  # the fan-out's threads: the destinations' connectors
    cpu_echoes_at_ingress: float  # each destination's webhook of storelink's own write, at ingress
    cpu_echoes_in_worker: float  # and in the stock worker
    cpu_in_botocore: float  # of both, inside botocore's calls
    cpu_in_httpx: float  # of both, inside httpx's calls to stores
    process_cpu: float  # the whole process: storelink, moto, the sandbox stores, the runtime
    calls: Counter[tuple[str, str, str]]  # (phase, kind, name) -> count
    every_call: list[Call]
    handler_errors: list[str]

    @property
    def cpu(self) -> float:
        """storelink's CPU for the change, echoes included."""
        return (
            self.cpu_source_ingress
            + self.cpu_stock_worker
            + self.cpu_fan_out
            + self.cpu_echoes_at_ingress
            + self.cpu_echoes_in_worker
        )


def covered(intervals: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """How long, between start and end, at least one interval was open."""
    total, reached = 0.0, start
    for opened, closed in sorted(intervals):
        opened, closed = max(opened, reached), min(closed, end)
        if closed > opened:
            total += closed - opened
            reached = closed
    return total


def change_figures(
    changed_at: float,
    source_path: str,
    runs: list[HandlerRun],
    fan_out_calls: list[Call],
    fan_out_cpu: float,
    process_cpu: float,
) -> ChangeFigures:
    [source_ingress] = [run for run in runs if run.function == INGRESS and run.path == source_path]
    echoes_at_ingress = [run for run in runs if run.function == INGRESS and run.path != source_path]
    propagation, *echoes_in_worker = sorted(
        (run for run in runs if run.function == STOCK_WORKER), key=lambda r: r.started
    )
    all_shown_at = max(run.arrived for run in echoes_at_ingress)
    [queued_at] = [call.ended for call in source_ingress.calls if call.name == "sqs.SendMessage"]
    phases = {
        "source webhook at ingress": [source_ingress],
        "stock worker: the change": [propagation],
        "echoes: destinations' webhooks": echoes_at_ingress + echoes_in_worker,
    }
    calls: Counter[tuple[str, str, str]] = Counter(
        (phase, call.kind, call.name)
        for phase, phase_runs in phases.items()
        for run in phase_runs
        for call in run.calls
    )
    calls.update(("stock worker: the change", call.kind, call.name) for call in fan_out_calls)
    every_call = [call for run in runs for call in run.calls] + fan_out_calls
    store_calls = [(call.started, call.ended) for call in every_call if call.kind == "store"]
    aws_calls = [(call.started, call.ended) for call in every_call if call.kind == "aws"]
    first_store_call = min(started for started, _ in store_calls)
    return ChangeFigures(
        end_to_end=all_shown_at - changed_at,
        webhook_and_ingress=queued_at - changed_at,
        queue_to_worker=propagation.started - queued_at,
        worker_before_fan_out=first_store_call - propagation.started,
        fan_out=all_shown_at - first_store_call,
        store_wait=covered(store_calls, changed_at, all_shown_at),
        aws_wait=covered(aws_calls, changed_at, all_shown_at),
        waiting=covered(store_calls + aws_calls, changed_at, all_shown_at),
        store_wait_summed=sum(ended - started for started, ended in store_calls),
        cpu_source_ingress=source_ingress.cpu,
        cpu_stock_worker=propagation.cpu,
        cpu_fan_out=fan_out_cpu,
        cpu_echoes_at_ingress=sum(run.cpu for run in echoes_at_ingress),
        cpu_echoes_in_worker=sum(run.cpu for run in echoes_in_worker),
        cpu_in_botocore=sum(call.cpu for call in every_call if call.kind == "aws"),
        cpu_in_httpx=sum(call.cpu for call in every_call if call.kind == "store"),
        process_cpu=process_cpu,
        calls=calls,
        every_call=every_call,
        handler_errors=[f"{run.function}: {run.error}" for run in runs if run.error],
    )


def settled(invocations: Sequence[Invocation], destinations: int) -> bool:
    """Every store's webhook of the change reached ingress, and the stock worker handled the source's change
    (ingress answers the destinations' echoes without queueing them: they are no link's source)."""
    at_ingress = [i for i in invocations if i.function == INGRESS]
    handled = sum(
        i.summary["batch_size"] - i.summary.get("failures", 0) for i in invocations if i.function == STOCK_WORKER
    )
    return len(at_ingress) == 1 + destinations and handled >= 1


def registered_shops(
    api: "ManagementApi", schema: "GraphQLSchema", stack: ExitStack, names: Sequence[str], available: int
) -> list[tuple["LinkedShop", str]]:
    from storelink_local.scenario import registered_shop

    return [registered_shop(api, name, f"{name}.myshopify.com", schema, available, stack) for name in names]


def measure_propagation(
    runtime: MeteredRuntime, meter: Meter, schema: "GraphQLSchema", args: argparse.Namespace
) -> list[ChangeFigures]:
    """Every change's figures, the first ones (cold) included."""
    from storelink_local.scenario import ManagementApi, link_shops

    api = ManagementApi(runtime)
    total_changes = WARM_UP_CHANGES + args.changes
    with ExitStack() as stack:
        names = ["bench-source", *(f"bench-destination-{n:02}" for n in range(1, args.destinations + 1))]
        (source, _), *destinations = registered_shops(api, schema, stack, names, available=total_changes + 10)
        for destination, code in destinations:
            link_shops(api, source, destination, code, channel_name=destination.store.shop_domain)
        runtime.drain()  # the grants' catalogue imports
        for shop in (source, *(destination for destination, _ in destinations)):
            shop.sandbox.faults.latency = args.latency_ms / 1000
        source_path = f"/webhooks/shopify/{source.store.store_id}"
        if args.delivery == "pollers":
            runtime.start_pollers()
        figures = []
        for change in range(total_changes):
            runtime.invocations.clear()
            meter.take()
            fan_out_cpu_before, process_cpu_before = meter.fan_out_cpu(), time.process_time()
            changed_at = time.perf_counter()
            source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - 1)
            if args.delivery == "drain":
                runtime.drain()
            done = runtime.invocations.wait_for(
                lambda invocations: settled(invocations, args.destinations), timeout=WORK_TIMEOUT_S
            )
            assert done, f"change {change}: not every record handled in {WORK_TIMEOUT_S} s: " + "; ".join(
                f"{i.function} {i.outcome} {dict(i.summary)} {i.error or ''}" for i in runtime.invocations
            )
            assert all(destination.available == source.available for destination, _ in destinations)
            process_cpu = time.process_time() - process_cpu_before
            runs, fan_out_calls = meter.take()
            fan_out_cpu = meter.fan_out_cpu() - fan_out_cpu_before
            figures.append(change_figures(changed_at, source_path, runs, fan_out_calls, fan_out_cpu, process_cpu))
        runtime.stop_pollers()
    return figures


@dataclass(frozen=True)
class SweepFigures:
    case: str
    levels: int
    drifted: int
    reads: int
    writes: int
    corrected: int

    @property
    def minimum(self) -> int:
        return 2 * math.ceil(self.levels / LEVELS_PER_CALL) + math.ceil(self.drifted / LEVELS_PER_CALL)


def stop_level_webhooks(shop: "LinkedShop", access_token: str) -> None:
    """Shopify sends a write's webhooks after answering it; the sandbox sends them inside the write's request,
    so a sweep correcting 999 levels would outlast storelink's store timeout. The sweep's calls do not depend on
    them: the destination stops sending them, through the Admin API."""
    for subscription in shop.sandbox.webhook_subscriptions:
        if subscription.topic == "inventory_levels/update":
            answer = httpx.post(
                shop.sandbox.graphql_url,
                headers={"X-Shopify-Access-Token": access_token},
                json={"query": UNSUBSCRIBE, "variables": {"id": subscription.id}},
            ).json()
            assert not answer["data"]["webhookSubscriptionDelete"]["userErrors"], answer


def measure_sweeps(runtime: MeteredRuntime, schema: "GraphQLSchema", args: argparse.Namespace) -> list[SweepFigures]:
    """Two links of `--sweep-variants` levels: one with a product's sizes drifted, one with every level drifted;
    each swept once, then the first swept again, clean."""
    from storelink_local.scenario import ManagementApi, link_shops

    api = ManagementApi(runtime)
    products = (args.sweep_variants - 1) // SIZES_PER_PRODUCT  # besides the shirt registered_shop adds
    levels = 1 + products * SIZES_PER_PRODUCT
    figures = []
    with ExitStack() as stack:
        links: list[tuple[str, LinkedShop, LinkedShop]] = []
        for drifted_products in (1, products):
            prefix = f"bench-sweep-{len(links)}"
            (source, _), (destination, code) = registered_shops(
                api, schema, stack, [f"{prefix}-source", f"{prefix}-destination"], available=5
            )
            for number in range(products):
                sizes = [{"sku": f"SWEEP-{number:03}-{size}", "barcode": None} for size in range(SIZES_PER_PRODUCT)]
                # Stocked as created: Shopify sends products/create, no inventory webhook, so the drift goes unheard.
                drift = 3 if number < drifted_products else 0
                source.sandbox.add_product(f"Product {number}", sizes, stock={source.level.location_id: 20})
                destination.sandbox.add_product(
                    f"Product {number}", sizes, stock={destination.level.location_id: 20 + drift}
                )
            runtime.drain()  # the products' webhooks, before any link makes storelink re-match for each
            stop_level_webhooks(destination, access_token=f"shpat_{prefix}-destination")  # as registered_shop makes it
            link = link_shops(api, source, destination, code, channel_name=destination.store.shop_domain)
            links.append((link.link_id, source, destination))
        runtime.drain()  # the catalogue imports
        for case, (link_id, source, destination), drifted in (
            (f"{SIZES_PER_PRODUCT} levels (one product) drifted", links[0], SIZES_PER_PRODUCT),
            ("every level but the shirt drifted", links[1], products * SIZES_PER_PRODUCT),
            ("clean: the first link swept again", links[0], 0),
        ):
            for shop in (source, destination):
                shop.sandbox.faults.latency = args.latency_ms / 1000
                shop.sandbox.stats.reset()
            api.call("POST", f"/links/{link_id}/sweep", source.api_token)
            runtime.drain()
            swept = api.call("GET", f"/links/{link_id}", source.api_token)["last_sweep"]
            assert swept["variants_checked"] == levels, swept
            operations = [*source.sandbox.stats.operations.items(), *destination.sandbox.stats.operations.items()]
            writes = sum(counted.calls for name, counted in operations if name in STORE_WRITES)
            reads = sum(counted.calls for name, counted in operations if name not in STORE_WRITES)
            figures.append(SweepFigures(case, levels, drifted, reads, writes, swept["variants_corrected"]))
    return figures


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print()
    print(f"| {title} | {' | '.join(header)} |")
    print(f"| --- |{' --- |' * len(header)}")
    for row in rows:
        print(f"| {' | '.join(str(cell) for cell in row)} |")


def ms_row(name: str, values: Sequence[float]) -> list[object]:
    return [
        name,
        *(f"{value * 1000:.1f}" for value in (statistics.median(values), percentile(list(values), 0.95), max(values))),
    ]


def report(every_change: list[ChangeFigures], sweeps: list[SweepFigures], args: argparse.Namespace) -> None:
    cold, figures = every_change[0], every_change[WARM_UP_CHANGES:]

    def of(measure: Callable[[ChangeFigures], float]) -> list[float]:
        return [measure(figure) for figure in figures]

    delivered_by = "the runtime's pollers" if args.delivery == "pollers" else "runtime.drain()"
    print_table(
        f"source change → all {args.destinations} destinations show it, {len(figures)} warm changes, "
        f"{args.latency_ms} ms per store request, queues delivered by {delivered_by} (ms)",
        ["median", "p95", "max"],
        [
            ms_row("end to end", of(lambda f: f.end_to_end)),
            ms_row("… the source's webhook verified and queued (ingress)", of(lambda f: f.webhook_and_ingress)),
            ms_row("… queued → the stock worker starts", of(lambda f: f.queue_to_worker)),
            ms_row("… worker start → first destination call (claim, plan)", of(lambda f: f.worker_before_fan_out)),
            ms_row("… first destination call → the last destination holds it", of(lambda f: f.fan_out)),
            ms_row("waiting on stores (wall, within end to end)", of(lambda f: f.store_wait)),
            ms_row("waiting on AWS (wall, within end to end)", of(lambda f: f.aws_wait)),
            ms_row(
                "neither (CPU, queues, threads waiting their turn)",
                of(lambda f: f.end_to_end - f.waiting),
            ),
            ms_row("waiting on stores, summed over the fan-out's threads", of(lambda f: f.store_wait_summed)),
            ms_row("storelink CPU: total", of(lambda f: f.cpu)),
            ms_row("… where: the source's webhook at ingress", of(lambda f: f.cpu_source_ingress)),
            ms_row("… where: the stock worker's run (its own thread)", of(lambda f: f.cpu_stock_worker)),
            ms_row("… where: the fan-out's threads", of(lambda f: f.cpu_fan_out)),
            ms_row("… where: the echoes at ingress", of(lambda f: f.cpu_echoes_at_ingress)),
            ms_row("… where: the echoes in the stock worker", of(lambda f: f.cpu_echoes_in_worker)),
            ms_row("… what: botocore's calls (serialise, sign, send, parse)", of(lambda f: f.cpu_in_botocore)),
            ms_row("… what: httpx's calls to stores", of(lambda f: f.cpu_in_httpx)),
            ms_row(
                "… what: the rest (handlers, Powertools, pydantic, logging)",
                of(lambda f: f.cpu - f.cpu_in_botocore - f.cpu_in_httpx),
            ),
            ms_row("process CPU (with moto, the sandbox stores, the runtime)", of(lambda f: f.process_cpu)),
        ],
    )
    print(
        f"\nThe first change after start (the stock worker's cold start, the fan-out's first threads and secrets): "
        f"{cold.end_to_end * 1000:.0f} ms end to end."
    )
    resends = Counter(reason for figure in figures for call in figure.every_call for reason in call.resent)
    errors = Counter(error for figure in figures for error in figure.handler_errors)
    print(f"Requests botocore sent again, over the {len(figures)} warm changes: {dict(resends) or 'none'}.")
    print(f"Handlers that raised (their webhook or record answered 500 or retried): {dict(errors) or 'none'}.")

    calls = [call for figure in figures for call in figure.every_call]
    kinds_of_call = {
        "DynamoDB": lambda call: call.name.startswith("dynamodb."),
        "SQS": lambda call: call.name.startswith("sqs."),
        "store read (StorelinkReadAvailable)": lambda call: call.name == "StorelinkReadAvailable",
        "store set (StorelinkSetAvailable; the sandbox sends its webhook before answering)": lambda call: (
            call.name == "StorelinkSetAvailable"
        ),
    }
    print_table(
        "one call, median over the warm changes (ms)",
        ["wait", "CPU in botocore / httpx", "calls"],
        [
            [
                kind,
                f"{statistics.median(call.ended - call.started for call in chosen) * 1000:.1f}",
                f"{statistics.median(call.cpu for call in chosen) * 1000:.2f}",
                len(chosen),
            ]
            for kind, matches in kinds_of_call.items()
            if (chosen := [call for call in calls if matches(call)])
        ],
    )

    totals: Counter[tuple[str, str, str]] = Counter()
    for figure in figures:
        totals.update(figure.calls)
    per_change = {key: count / len(figures) for key, count in sorted(totals.items())}
    print_table(
        f"calls per source change, mean of {len(figures)}",
        ["call", "count"],
        [[phase, name, f"{count:.2f}"] for (phase, _, name), count in per_change.items()],
    )

    def total(kind: str, phase: str | None = None, names: frozenset[str] | None = None) -> str:
        return "{:.2f}".format(
            sum(
                count
                for (of_phase, of_kind, name), count in per_change.items()
                if of_kind == kind
                and phase in (None, of_phase)
                and (names is None or name.partition(".")[2] in names or name in names)
            )
        )

    phases = sorted({phase for phase, _, _ in per_change})
    print_table(
        f"per source change (one variant, its level written to {args.destinations} destinations)",
        ["count"],
        [
            ["AWS round trips (botocore calls; resends are listed above)", total("aws")],
            *[[f"… {phase}", total("aws", phase)] for phase in phases],
            ["DynamoDB writes (per propagated variant)", total("aws", names=DYNAMODB_WRITES)],
            *[[f"… {phase}", total("aws", phase, DYNAMODB_WRITES)] for phase in phases],
            [f"store calls (minimum {2 * args.destinations}: a read and a set per destination)", total("store")],
            ["… of which writes", total("store", names=STORE_WRITES)],
        ],
    )
    if not sweeps:
        return
    print_table(
        f"sweep of a link, {args.latency_ms} ms per store request",
        ["levels", "drifted", "store reads", "store writes", "minimum", "calls / minimum", "corrected"],
        [
            [
                s.case,
                s.levels,
                s.drifted,
                s.reads,
                s.writes,
                s.minimum,
                f"{(s.reads + s.writes) / s.minimum:.2f}",
                s.corrected,
            ]
            for s in sweeps
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("changes", type=int, nargs="?", default=200)
    parser.add_argument("--delivery", choices=["pollers", "drain"], default="pollers")
    parser.add_argument("--destinations", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--sweep-variants", type=int, default=1_000, help="0: no sweep")
    args = parser.parse_args()
    os.environ.update(load_template(TEMPLATE).powertools_environment())

    from storelink_local.sandbox import load_contract_schema

    schema = load_contract_schema()
    assert schema is not None, "the Shopify contract is needed for the sandbox stores"
    meter = Meter()
    with ExitStack() as stack:
        stack.enter_context(meter.installed())
        stack.enter_context(listen_backlog(LISTEN_BACKLOG))
        # The fan-out's threads log outside any invocation's capture: to nowhere, rather than amid the tables.
        discarded = stack.enter_context(open(os.devnull, "w"))
        with redirect_stdout(discarded):
            runtime = MeteredRuntime(meter)
        stack.enter_context(runtime)
        figures = measure_propagation(runtime, meter, schema, args)
        sweeps = measure_sweeps(runtime, schema, args) if args.sweep_variants else []
    report(figures, sweeps, args)


if __name__ == "__main__":
    main()
