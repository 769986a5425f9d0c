"""A sandbox WooCommerce store: a local HTTP server that answers the REST API wc/v3 like WooCommerce does.

It serves `/wp-json/wc/v3/...` under the store's site URL with HTTP Basic authentication (consumer key and
secret), checks every request against the wc/v3 contract (../shared/contracts; see woocommerce_spec) and keeps
the shop's catalogue in memory. Tests and the local runtime drive the merchant's side through its Python methods
(add_product, add_variable_product, set_stock, revoke_keys...), plan failures through `faults` (a throttle is a
429 with Retry-After, as hosts answer), and make something happen between a client's read and its write with
`before_write`.
"""

import functools
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Concatenate, Literal, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.server import Reply, Request, SandboxServer, Served, WriteHooks, basic_credentials
from storelink_local.sandbox.shopify_faults import Fault, FaultKind, Faults, Stats
from storelink_local.sandbox.woocommerce_orders import Order, OrderBook
from storelink_local.sandbox.woocommerce_payloads import (
    WOOCOMMERCE_VERSION,
    note_json,
    order_json,
    product_json,
    refund_json,
    webhook_json,
)
from storelink_local.sandbox.woocommerce_spec import (
    API_PREFIX,
    BATCH_LIMIT,
    InvalidParams,
    Matched,
    WooCommerceSpec,
    contract_spec_path,
    load_contract_spec,
)
from storelink_local.sandbox.woocommerce_store import Catalogue, Product, StoreError
from storelink_local.sandbox.woocommerce_tracking import (
    SHIPMENT_TRACKING_PREFIX,
    add_tracking_item,
    serve_shipment_tracking,
    tracking_items,
)
from storelink_local.sandbox.woocommerce_webhooks import Webhook, WebhookDispatcher, WooDelivery

Permissions = Literal["read", "write", "read_write"]
Deliveries = Literal["after_each_request", "on_demand"]
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_CANNOT = {  # (method, is a collection) -> what WooCommerce answers a request without credentials
    ("GET", True): ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    ("GET", False): ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    ("POST", True): ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    ("DELETE", False): ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
}
_CANNOT_EDIT = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
_CANNOT_BATCH = ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    route: str  # the spec's template, e.g. /products/{id}
    path: str  # relative to /wp-json/wc/v3 (an extension's: the whole path, from /wp-json)
    query: Mapping[str, Any]
    body: Mapping[str, Any]
    # time.monotonic() on arrival, before the latency knob's wait: what a benchmark times between two requests.
    received_at: float


@dataclass(frozen=True)
class _Call:
    matched: Matched
    query: Mapping[str, Any]
    body: Mapping[str, Any]
    path: str

    def value(self, name: str) -> int:
        return int(self.matched.path_values[name])


class _Dated(Protocol):
    id: int
    date_created: datetime
    date_modified: datetime


Handler = Callable[["WooCommerceSandbox", _Call], Reply]


def _merchant_action[**P, T](
    action: Callable[Concatenate["WooCommerceSandbox", P], T],
) -> Callable[Concatenate["WooCommerceSandbox", P], T]:
    """Something the merchant or a buyer does in the shop: its webhooks go once it is done (when deliveries run
    after each request)."""

    @functools.wraps(action)
    def done(sandbox: "WooCommerceSandbox", *args: P.args, **kwargs: P.kwargs) -> T:
        result = action(sandbox, *args, **kwargs)
        sandbox._settle()
        return result

    return done


def error_reply(code: str, message: str, status: int, **data: Any) -> Reply:
    """WordPress's error body: {code, message, data: {status, ...}}."""
    return Reply.json(status, {"code": code, "message": message, "data": {"status": status, **data}})


class WooCommerceSandbox(Served):
    """One shop, served at `api_url` (its site URL + /wp-json/wc/v3) while started (or inside a `with` block).

    `clock` drives every date the shop writes; `timezone` is the site's (dates without `_gmt` are in it);
    `permissions` are the API key's (read, write or read_write); `faults` plans failures; `deliveries` says when
    queued webhook deliveries go: after each request and merchant action (before the answer, so a caller finds
    them done), or only when a test calls `deliver_pending`.
    """

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        permissions: Permissions = "read_write",
        spec: WooCommerceSpec | None = None,
        clock: Clock = system_clock,
        faults: Faults | None = None,
        timezone: str = "UTC",
        currency: str = "EUR",
        shop_name: str = "Sandbox shop",
        deliveries: Deliveries = "after_each_request",
        shipment_tracking: bool = False,
    ) -> None:
        spec = spec if spec is not None else load_contract_spec()
        if spec is None:
            raise RuntimeError(f"the WooCommerce contract is missing: expected at {contract_spec_path()}")
        self._spec = spec
        self._keys: tuple[str, str, Permissions] | None = (consumer_key, consumer_secret, permissions)
        self.clock = clock
        self.timezone = ZoneInfo(timezone)
        self.currency = currency
        self.shop_name = shop_name
        self.faults = faults if faults is not None else Faults()
        self.retry_after = 1  # seconds, in the Retry-After of a planned 429 or 503
        self.stats = Stats()
        self._ids = iter(range(100, 10**9))
        self._ids_lock = threading.Lock()
        self.deliveries = deliveries
        self.shipment_tracking = shipment_tracking  # the Shipment Tracking extension installed (woocommerce_tracking)
        self._webhooks = WebhookDispatcher(
            clock,
            self._allocate,
            lambda: self.site_url,
            self._rendered,
            f"WooCommerce/{WOOCOMMERCE_VERSION} Hookshot (WordPress/6.9)",
        )
        self._catalogue = Catalogue(clock, self._allocate, self._changed)
        self._orders = OrderBook(self._catalogue, clock, self._allocate, currency, self._changed)
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._hooks = WriteHooks()
        self._server = SandboxServer(self._reply, _internal_error, "woocommerce-sandbox")

    # -- where it is served -----------------------------------------------------------------------

    @property
    def site_url(self) -> str:
        return self.base_url

    @property
    def api_url(self) -> str:
        return f"{self.site_url}{API_PREFIX}"

    # -- what tests observe -----------------------------------------------------------------------

    @property
    def received_requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    @property
    def webhooks(self) -> list[Webhook]:
        return self._webhooks.webhooks

    @property
    def webhook_deliveries(self) -> list[WooDelivery]:
        """Every POST to a delivery URL, pings included (topic None), in the order sent."""
        return self._webhooks.deliveries

    @property
    def pending_deliveries(self) -> int:
        return self._webhooks.pending

    def deliver_pending(self) -> list[WooDelivery]:
        """Runs the webhook queue now: each waiting delivery is sent once, with the resource as it is now."""
        return self._webhooks.deliver_pending()

    def product(self, product_id: int) -> dict[str, Any]:
        """A product or variation as the REST API shows it."""
        found = self._catalogue.get(product_id)
        if found is None:
            raise KeyError(f"no product {product_id} in this shop")
        return self._product_json(found)

    def stock(self, product_id: int) -> int | None:
        """The stock quantity a sale of this product or variation moves (its parent's when managed by it)."""
        found = self._catalogue.get(product_id)
        if found is None:
            raise KeyError(f"no product {product_id} in this shop")
        holder = self._catalogue.stock_holder(found)
        return holder.stock_quantity if holder.manage_stock else None

    # -- the merchant, in wp-admin ----------------------------------------------------------------

    @_merchant_action
    def add_product(
        self,
        name: str,
        *,
        sku: str = "",
        global_unique_id: str = "",
        stock: int | None = None,
        price: str = "10.00",
        backorders: str = "no",
        meta_data: Iterable[Mapping[str, Any]] = (),
    ) -> int:
        """A simple product; `stock` None leaves its stock unmanaged (in stock, no quantity). Returns its id."""
        product = self._catalogue.create(
            "simple",
            {
                "name": name,
                "sku": sku,
                "global_unique_id": global_unique_id,
                "regular_price": price,
                "manage_stock": stock is not None,
                "backorders": backorders,
                "meta_data": list(meta_data),
                **({"stock_quantity": stock} if stock is not None else {}),
            },
        )
        return product.id

    @_merchant_action
    def add_variable_product(
        self, name: str, variations: Iterable[Mapping[str, Any]], *, sku: str = "", stock: int | None = None
    ) -> tuple[int, list[int]]:
        """A variable product and its variations, each {"sku", "global_unique_id", "stock" (None: unmanaged, or
        managed by the parent when the parent has `stock`), "price", "attributes"}. Returns (product id,
        variation ids)."""
        parent = self._catalogue.create(
            "variable",
            {
                "name": name,
                "sku": sku,
                "manage_stock": stock is not None,
                **({"stock_quantity": stock} if stock is not None else {}),
            },
        )
        ids = []
        for variation in variations:
            own_stock = variation.get("stock")
            created = self._catalogue.create(
                "variation",
                {
                    "sku": variation.get("sku", ""),
                    "global_unique_id": variation.get("global_unique_id", ""),
                    "regular_price": variation.get("price", "10.00"),
                    "attributes": list(variation.get("attributes", [])),
                    "manage_stock": own_stock is not None,
                    **({"stock_quantity": own_stock} if own_stock is not None else {}),
                },
                parent_id=parent.id,
            )
            ids.append(created.id)
        return parent.id, ids

    @_merchant_action
    def set_stock(self, product_id: int, quantity: int) -> None:
        """The merchant types a new stock quantity in wp-admin: an absolute overwrite, as the REST API's."""
        self._catalogue.update(product_id, {"manage_stock": True, "stock_quantity": quantity})

    # -- buyers and the merchant's order desk -----------------------------------------------------

    @_merchant_action
    def place_order(
        self,
        lines: Iterable[Mapping[str, Any]],
        *,
        status: str = "processing",
        created_via: str = "checkout",
        meta_data: Iterable[Mapping[str, Any]] = (),
    ) -> int:
        """A buyer checks out (`created_via` checkout) and pays: the order is created pending and moves to
        `status`, which reduces stock as WooCommerce does. Lines are {"product_id" or "variation_id",
        "quantity"}. Returns the order's id."""
        order = self._orders.create(
            {"line_items": list(lines), "status": status, "meta_data": list(meta_data)}, created_via
        )
        return order.id

    @_merchant_action
    def set_order_status(self, order_id: int, status: str) -> None:
        """The merchant changes the order's status in wp-admin (completes, cancels, puts on hold...)."""
        self._orders.set_status(order_id, status)

    @_merchant_action
    def track_order(
        self, order_id: int, number: str, *, provider: str = "", custom_provider: str = "", link: str = ""
    ) -> None:
        """The merchant adds a shipment on the order screen's Shipment Tracking panel (the extension installed)."""
        if not self.shipment_tracking:
            raise RuntimeError("this sandbox store has no Shipment Tracking extension (shipment_tracking=True)")
        fields = {
            "tracking_number": number,
            "tracking_provider": provider,
            "custom_tracking_provider": custom_provider,
            "custom_tracking_link": link,
        }
        add_tracking_item(self._orders, self._allocate, self.clock, order_id, fields)

    def tracked(self, order_id: int) -> list[dict[str, Any]]:
        """The order's Shipment Tracking items as the extension keeps them."""
        return tracking_items(self._orders, order_id)

    def refund_lines(self, order_id: int, quantities: Mapping[int, int], *, restock: bool = True) -> int:
        """The merchant refunds units of lines (line item id → units) manually in wp-admin, at their price, with
        "Restock refunded items" ticked or not: order.updated fires, listing the refund. Returns its id."""
        order = self._orders.get(order_id)
        lines = []
        for line_id, units in quantities.items():
            line = order.line(line_id)
            price = line.price if line is not None else Decimal()
            lines.append({"id": line_id, "quantity": units, "refund_total": str(price * units)})
        fields = {"line_items": lines, "api_refund": False, "api_restock": restock}
        return self._orders.refund(order_id, fields).id

    @property
    def orders(self) -> list[dict[str, Any]]:
        """Every order, as the REST API shows it, oldest first."""
        return [order_json(order, self.timezone) for order in self._orders.orders()]

    def order(self, order_id: int) -> dict[str, Any]:
        """An order as the REST API shows it."""
        return order_json(self._orders.get(order_id), self.timezone)

    def order_notes(self, order_id: int) -> list[str]:
        """The order's notes, oldest first."""
        return [note.note for note in self._orders.get(order_id).notes]

    # -- the merchant's API keys ------------------------------------------------------------------

    def revoke_keys(self) -> None:
        """The merchant deletes the API key: every request with it answers 401 from now on."""
        self._keys = None

    def issue_keys(self, consumer_key: str, consumer_secret: str, permissions: Permissions = "read_write") -> None:
        """The merchant makes a new API key (the old one stops working)."""
        self._keys = (consumer_key, consumer_secret, permissions)

    def before_write(self, callback: Callable[[], None], *, path: str | None = None) -> None:
        """Runs `callback` once, when the next write (POST, PUT, PATCH, DELETE; to `path` under /wp-json/wc/v3
        when given) has passed every check and is about to be applied: how a test lands a sale between a
        client's read and its write."""
        self._hooks.add(callback, path)

    # -- serving ----------------------------------------------------------------------------------

    def _reply(self, request: Request) -> Reply:
        if self.shipment_tracking and request.path.startswith(SHIPMENT_TRACKING_PREFIX):
            return self._shipment_tracking_reply(request)
        if not request.path.startswith(API_PREFIX):
            return _no_route()
        path = request.path.removeprefix(API_PREFIX) or "/"
        credentials = basic_credentials(request.headers.get("authorization"))
        refused = self._refused_credentials(credentials, request.method)
        if refused is not None:
            return refused
        matched = self._spec.match(request.method, path)
        if matched is None:
            return _no_route()
        try:
            body = json.loads(request.body) if request.body.strip() else None
        except ValueError:
            return error_reply("rest_invalid_json", "Invalid JSON body passed.", 400)
        try:
            query = self._spec.query(matched.operation, request.query)
            fields = self._spec.body(matched.operation, body)
        except InvalidParams as invalid:
            return error_reply("rest_invalid_param", str(invalid), 400, params=invalid.params)
        if credentials is None:
            return _cannot(matched)
        call = _Call(matched, query, fields, path)
        operation_name = f"{request.method} {matched.operation.route}"
        with self._lock:
            self._received.append(
                ReceivedRequest(request.method, matched.operation.route, path, query, fields, time.monotonic())
            )
        fault = self.faults.next_fault()
        if self.faults.latency:
            self.faults.sleep(self.faults.latency)
        if fault is not None and not fault.after_applying:
            self.stats.record(operation_name, failed=True)
            return self._faulted(fault)
        if matched.operation.is_batch:
            count = sum(len(fields.get(part, [])) for part in ("create", "update", "delete"))
            if count > BATCH_LIMIT:
                return error_reply(
                    "woocommerce_rest_request_entity_too_large",
                    f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                    413,
                )
        if request.method != "GET":
            self._hooks.run(path)
        reply = self._dispatch(call)
        self.stats.record(operation_name, failed=fault is not None)
        self._settle()
        return self._faulted(fault) if fault is not None else reply

    def _shipment_tracking_reply(self, request: Request) -> Reply:
        credentials = basic_credentials(request.headers.get("authorization"))
        refused = self._refused_credentials(credentials, request.method)
        if refused is not None:
            return refused
        if credentials is None:
            return error_reply("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        try:
            body = json.loads(request.body) if request.body.strip() else None
        except ValueError:
            return error_reply("rest_invalid_json", "Invalid JSON body passed.", 400)
        path = request.path.removeprefix(SHIPMENT_TRACKING_PREFIX)
        with self._lock:
            self._received.append(
                ReceivedRequest(request.method, request.path, request.path, {}, body or {}, time.monotonic())
            )
        reply = serve_shipment_tracking(
            self._orders, self._allocate, self.clock, request.method, path, body, error_reply
        )
        return reply if reply is not None else _no_route()

    def _refused_credentials(self, credentials: tuple[str, str] | None, method: str) -> Reply | None:
        """WooCommerce's authentication: a key it does not know, a wrong secret, or a key without the permission
        the method needs is refused before any route is looked at."""
        if credentials is None:
            return None
        keys = self._keys
        key, secret = credentials
        if keys is None or not hmac.compare_digest(key.encode(), keys[0].encode()):
            return error_reply("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        if not hmac.compare_digest(secret.encode(), keys[1].encode()):
            return error_reply("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
        needed = "read" if method in ("GET", "HEAD", "OPTIONS") else "write"
        if needed not in keys[2]:
            return error_reply(
                "woocommerce_rest_authentication_error",
                f"The API key provided does not have {needed} permissions.",
                401,
            )
        return None

    def _faulted(self, fault: Fault) -> Reply:
        retry_after = (("Retry-After", str(self.retry_after)),)
        if fault.kind == FaultKind.THROTTLE:
            return Reply.json(429, {"code": "too_many_requests", "message": "Too Many Requests"}, retry_after)
        if fault.kind == FaultKind.STATUS:
            headers = retry_after if fault.status == 503 else ()
            return Reply.json(
                fault.status,
                {"code": "http_error", "message": _REASONS.get(fault.status, "Server Error")},
                headers,
            )
        if fault.kind == FaultKind.DROP:
            return Reply.dropped()
        return Reply.held(fault.seconds)

    def _dispatch(self, call: _Call) -> Reply:
        handler = _HANDLERS.get((call.matched.operation.method, call.matched.operation.route))
        if handler is None:
            # In the spec, but nothing storelink needs: say so rather than answer as if it were done.
            return error_reply("sandbox_not_implemented", "The sandbox store does not serve this route.", 501)
        try:
            return handler(self, call)
        except StoreError as refused:
            return error_reply(refused.code, refused.message, refused.status)

    def _allocate(self) -> int:
        with self._ids_lock:
            return next(self._ids)

    def _product_json(self, product: Product) -> dict[str, Any]:
        return product_json(self._catalogue, product, self.site_url, self.timezone)

    # -- products and variations ------------------------------------------------------------------

    def _list_products(self, call: _Call) -> Reply:
        products = self._selected(self._catalogue.products(), call.query, self._kept_product(call.query))
        return self._page(call, [self._product_json(p) for p in products])

    def _list_variations(self, call: _Call) -> Reply:
        parent = self._product_of(call)
        variations = self._selected(self._catalogue.variations(parent.id), call.query, self._kept_product(call.query))
        return self._page(call, [self._product_json(v) for v in variations])

    def _get_product(self, call: _Call) -> Reply:
        return Reply.json(200, self._product_json(self._product_of(call, "id")))

    def _get_variation(self, call: _Call) -> Reply:
        return Reply.json(200, self._product_json(self._variation_of(call)))

    def _create_product(self, call: _Call) -> Reply:
        return Reply.json(201, self._product_json(self._create(dict(call.body))))

    def _update_product(self, call: _Call) -> Reply:
        product = self._product_of(call, "id")
        return Reply.json(200, self._product_json(self._catalogue.update(product.id, call.body)))

    def _delete_product(self, call: _Call) -> Reply:
        product = self._product_of(call, "id")
        payload = self._product_json(product)
        self._catalogue.delete(product.id)
        return Reply.json(200, payload)

    def _create_variation(self, call: _Call) -> Reply:
        parent = self._product_of(call)
        return Reply.json(201, self._product_json(self._catalogue.create("variation", call.body, parent.id)))

    def _update_variation(self, call: _Call) -> Reply:
        variation = self._variation_of(call)
        return Reply.json(200, self._product_json(self._catalogue.update(variation.id, call.body)))

    def _delete_variation(self, call: _Call) -> Reply:
        variation = self._variation_of(call)
        payload = self._product_json(variation)
        self._catalogue.delete(variation.id)
        return Reply.json(200, payload)

    def _batch_products(self, call: _Call) -> Reply:
        return self._batch(
            call,
            create=self._create,
            update=lambda fields: self._catalogue.update(int(fields["id"]), _without_id(fields)),
            delete=self._catalogue.delete,
            render=self._product_json,
        )

    def _batch_variations(self, call: _Call) -> Reply:
        parent = self._product_of(call)

        def own(variation_id: int) -> int:
            if variation_id not in parent.variation_ids:
                raise StoreError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
            return variation_id

        return self._batch(
            call,
            create=lambda fields: self._catalogue.create("variation", fields, parent.id),
            update=lambda fields: self._catalogue.update(own(int(fields["id"])), _without_id(fields)),
            delete=lambda variation_id: self._catalogue.delete(own(variation_id)),
            render=self._product_json,
        )

    def _create(self, fields: dict[str, Any]) -> Product:
        kind = fields.pop("type", "simple")
        if kind not in ("simple", "variable"):
            raise StoreError("woocommerce_rest_invalid_product_type", "Invalid product type.", 400)
        return self._catalogue.create(kind, fields)

    def _product_of(self, call: _Call, name: str = "product_id") -> Product:
        product = self._catalogue.get(call.value(name))
        if product is None:
            raise StoreError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return product

    def _variation_of(self, call: _Call) -> Product:
        parent = self._product_of(call)
        variation = self._catalogue.get(call.value("id"))
        if variation is None or variation.parent_id != parent.id:
            raise StoreError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        return variation

    # -- orders, notes, refunds -------------------------------------------------------------------

    def _list_orders(self, call: _Call) -> Reply:
        statuses = set(call.query.get("status", ["any"]))

        def keep(order: Order) -> bool:
            product = call.query.get("product")
            return ("any" in statuses or order.status in statuses) and (
                product is None or any(product in (line.product_id, line.variation_id) for line in order.line_items)
            )

        orders = self._selected(self._orders.orders(), call.query, keep)
        return self._page(call, [order_json(order, self.timezone) for order in orders])

    def _create_order(self, call: _Call) -> Reply:
        return Reply.json(201, order_json(self._orders.create(call.body, "rest-api"), self.timezone))

    def _get_order(self, call: _Call) -> Reply:
        return Reply.json(200, order_json(self._orders.get(call.value("id")), self.timezone))

    def _update_order(self, call: _Call) -> Reply:
        return Reply.json(200, order_json(self._orders.update(call.value("id"), call.body), self.timezone))

    def _delete_order(self, call: _Call) -> Reply:
        return Reply.json(200, order_json(self._orders.delete(call.value("id")), self.timezone))

    def _batch_orders(self, call: _Call) -> Reply:
        return self._batch(
            call,
            create=lambda fields: self._orders.create(fields, "rest-api"),
            update=lambda fields: self._orders.update(int(fields["id"]), _without_id(fields)),
            delete=self._orders.delete,
            render=lambda order: order_json(order, self.timezone),
        )

    def _list_notes(self, call: _Call) -> Reply:
        kind = call.query.get("type", "any")
        notes = [
            note
            for note in reversed(self._orders.get(call.value("order_id")).notes)
            if kind == "any" or note.customer_note == (kind == "customer")
        ]
        return Reply.json(200, [note_json(note, self.timezone) for note in notes])

    def _create_note(self, call: _Call) -> Reply:
        if not call.body.get("note"):
            return error_reply("woocommerce_rest_missing_parameter", "Missing parameter(s): note", 400)
        note = self._orders.add_note(
            call.value("order_id"),
            str(call.body["note"]),
            customer_note=bool(call.body.get("customer_note", False)),
            added_by_user=bool(call.body.get("added_by_user", False)),
        )
        return Reply.json(201, note_json(note, self.timezone))

    def _get_note(self, call: _Call) -> Reply:
        order = self._orders.get(call.value("order_id"))
        note = next((n for n in order.notes if n.id == call.value("id")), None)
        if note is None:
            return error_reply("woocommerce_rest_order_invalid_id", "Invalid resource ID.", 404)
        return Reply.json(200, note_json(note, self.timezone))

    def _list_refunds(self, call: _Call) -> Reply:
        order = self._orders.get(call.value("order_id"))
        refunds = sorted(order.refunds, key=lambda refund: refund.id, reverse=True)
        return self._page(call, [refund_json(refund, order, self.timezone) for refund in refunds])

    def _create_refund(self, call: _Call) -> Reply:
        order = self._orders.get(call.value("order_id"))
        refund = self._orders.refund(order.id, call.body)
        return Reply.json(201, refund_json(refund, order, self.timezone))

    def _get_refund(self, call: _Call) -> Reply:
        order = self._orders.get(call.value("order_id"))
        refund = next((r for r in order.refunds if r.id == call.value("id")), None)
        if refund is None:
            return error_reply("woocommerce_rest_invalid_id", "Invalid ID.", 404)
        return Reply.json(200, refund_json(refund, order, self.timezone))

    # -- the shop ---------------------------------------------------------------------------------

    def _system_status(self, call: _Call) -> Reply:
        """The shop's facts the spec offers: WooCommerce's version and its currency. WordPress runs PHP in UTC
        (`default_timezone`); the site's own timezone is not in the API: only the offset between a date and
        its `_gmt` twin shows it."""
        return Reply.json(
            200,
            {
                "environment": {
                    "home_url": self.site_url,
                    "site_url": self.site_url,
                    "version": WOOCOMMERCE_VERSION,
                    "wp_version": "6.9",
                    "default_timezone": "UTC",
                    "language": "en_US",
                },
                "settings": {
                    "api_enabled": True,
                    "force_ssl": False,
                    "currency": self.currency,
                    "currency_symbol": _SYMBOLS.get(self.currency, self.currency),
                    "currency_position": "left",
                    "number_of_decimals": 2,
                },
                "active_plugins": [],
            },
        )

    def _current_currency(self, call: _Call) -> Reply:
        return Reply.json(
            200, {"code": self.currency, "name": self.currency, "symbol": _SYMBOLS.get(self.currency, "")}
        )

    def _changed(self, resource: str, event: str, resource_id: int) -> None:
        self._webhooks.changed(resource, event, resource_id)

    def _settle(self) -> None:
        if self.deliveries == "after_each_request":
            self._webhooks.deliver_pending()

    def _rendered(self, resource: str, resource_id: int) -> dict[str, Any] | None:
        """A webhook's body: the resource as GET /{resource}s/{id} shows it now."""
        if resource == "product":
            product = self._catalogue.get(resource_id)
            return None if product is None else self._product_json(product)
        try:
            return order_json(self._orders.get(resource_id), self.timezone)
        except StoreError:
            return None

    # -- webhooks ---------------------------------------------------------------------------------

    def _list_webhooks(self, call: _Call) -> Reply:
        status = call.query.get("status", "all")
        webhooks = [w for w in self._webhooks.webhooks if status in ("all", w.status)]
        chosen = self._selected(webhooks, call.query, lambda _: True)
        return self._page(call, [self._webhook_json(w) for w in chosen])

    def _create_webhook(self, call: _Call) -> Reply:
        return Reply.json(201, self._webhook_json(self._webhooks.create(call.body)))

    def _get_webhook(self, call: _Call) -> Reply:
        return Reply.json(200, self._webhook_json(self._webhooks.get(call.value("id"))))

    def _update_webhook(self, call: _Call) -> Reply:
        return Reply.json(200, self._webhook_json(self._webhooks.update(call.value("id"), call.body)))

    def _delete_webhook(self, call: _Call) -> Reply:
        force = bool(call.query.get("force", False))
        return Reply.json(200, self._webhook_json(self._webhooks.delete(call.value("id"), force=force)))

    def _batch_webhooks(self, call: _Call) -> Reply:
        return self._batch(
            call,
            create=self._webhooks.create,
            update=lambda fields: self._webhooks.update(int(fields["id"]), _without_id(fields)),
            delete=lambda webhook_id: self._webhooks.delete(webhook_id, force=True),
            render=self._webhook_json,
        )

    def _webhook_json(self, webhook: Webhook) -> dict[str, Any]:
        return webhook_json(webhook, self.timezone)

    # -- lists, pages and batches, as WooCommerce's controllers do them ---------------------------

    def _selected[R: _Dated](
        self, records: Iterable[R], query: Mapping[str, Any], keep: Callable[[R], bool]
    ) -> list[R]:
        """The records a list's query asks for (include, exclude, dates, and `keep`), in its order."""
        include, exclude = list(query.get("include", [])), set(query.get("exclude", []))
        gmt = bool(query.get("dates_are_gmt", False))
        bounds = {name: self._query_date(query[name], gmt) for name in _DATE_BOUNDS if name in query}
        kept = [
            record
            for record in records
            if (not include or record.id in include)
            and record.id not in exclude
            and _within(bounds, record.date_created, record.date_modified)
            and keep(record)
        ]
        keys: dict[str, Callable[[R], Any]] = {
            "id": lambda r: r.id,
            "modified": lambda r: (r.date_modified, r.id),
            "include": lambda r: include.index(r.id) if r.id in include else r.id,
        }
        key = keys.get(query.get("orderby", "date"), lambda r: (r.date_created, r.id))
        return sorted(kept, key=key, reverse=query.get("order", "desc") == "desc")

    def _kept_product(self, query: Mapping[str, Any]) -> Callable[[Product], bool]:
        skus = set(str(query["sku"]).split(",")) if "sku" in query else None
        return lambda product: (
            (skus is None or product.sku in skus)
            and query.get("status", "any") in ("any", product.status)
            and query.get("type", product.type) == product.type
            and str(query.get("search", "")).lower() in product.name.lower()
            and query.get("stock_status", self._catalogue.stock_status(product))
            == self._catalogue.stock_status(product)
        )

    def _query_date(self, value: str, gmt: bool) -> datetime:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise StoreError("rest_invalid_date", f"Invalid date: {value}.", 400) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC if gmt else self.timezone)
        return moment

    def _page(self, call: _Call, items: list[dict[str, Any]]) -> Reply:
        """One page with X-WP-Total, X-WP-TotalPages and Link (rel prev / next), as WordPress pages lists."""
        per_page = int(call.query.get("per_page", 10))
        page = int(call.query.get("page", 1))
        offset = int(call.query.get("offset", (page - 1) * per_page))
        total = len(items)
        pages = -(-total // per_page)
        links = []
        for relation, number in (("prev", page - 1), ("next", page + 1)):
            if 1 <= number <= pages:
                query = {**{k: _query_value(v) for k, v in call.query.items()}, "page": number}
                links.append(f'<{self.api_url}{call.path}?{urlencode(query, doseq=True)}>; rel="{relation}"')
        headers: tuple[tuple[str, str], ...] = (("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages)))
        if links:
            headers += (("Link", ", ".join(links)),)
        return Reply.json(200, items[offset : offset + per_page], headers)

    def _batch(
        self,
        call: _Call,
        *,
        create: Callable[[dict[str, Any]], Any],
        update: Callable[[dict[str, Any]], Any],
        delete: Callable[[int], Any],
        render: Callable[[Any], dict[str, Any]],
    ) -> Reply:
        """WC_REST_Controller::batch_items: creates, then updates, then deletes; an item that fails is answered
        with its error in its place and the others still apply."""
        answer: dict[str, list[dict[str, Any]]] = {}
        for fields in call.body.get("create", []):
            answer.setdefault("create", []).append(_batch_item(partial(_created, render, create, fields), 0))
        for fields in call.body.get("update", []):
            answer.setdefault("update", []).append(_batch_item(partial(_created, render, update, fields), fields["id"]))
        for item in call.body.get("delete", []):
            answer.setdefault("delete", []).append(_batch_item(partial(_deleted, render, delete, item), item))
        return Reply.json(200, answer)


_DATE_BOUNDS = ("after", "before", "modified_after", "modified_before")
_SYMBOLS = {"EUR": "&euro;", "USD": "&#36;", "GBP": "&pound;"}


def _within(bounds: Mapping[str, datetime], created: datetime, modified: datetime) -> bool:
    # WordPress's date queries are exclusive at both ends, to the second.
    created, modified = created.replace(microsecond=0), modified.replace(microsecond=0)
    checks = {
        "after": lambda b: created > b,
        "before": lambda b: created < b,
        "modified_after": lambda b: modified > b,
        "modified_before": lambda b: modified < b,
    }
    return all(checks[name](bound) for name, bound in bounds.items())


def _batch_item(apply: Callable[[], dict[str, Any]], item_id: int) -> dict[str, Any]:
    """One item of a batch: its object, or its error in its place (the others still apply)."""
    try:
        return apply()
    except StoreError as refused:
        return {
            "id": item_id,
            "error": {"code": refused.code, "message": refused.message, "data": {"status": refused.status}},
        }


def _created(
    render: Callable[[Any], dict[str, Any]], apply: Callable[[dict[str, Any]], Any], fields: Mapping[str, Any]
) -> dict[str, Any]:
    return render(apply(dict(fields)))


def _deleted(render: Callable[[Any], dict[str, Any]], delete: Callable[[int], Any], item: int) -> dict[str, Any]:
    return render(delete(item))


def _without_id(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if name != "id"}


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _no_route() -> Reply:
    return error_reply("rest_no_route", "No route was found matching the URL and request method.", 404)


def _cannot(matched: Matched) -> Reply:
    operation = matched.operation
    if operation.is_batch:
        code, message = _CANNOT_BATCH
    elif operation.method in ("PUT", "PATCH") or (operation.method == "POST" and "{id}" in operation.route):
        code, message = _CANNOT_EDIT
    else:
        collection = not operation.route.endswith("{id}")
        code, message = _CANNOT.get((operation.method, collection), _CANNOT[("GET", collection)])
    return error_reply(code, message, 401)


def _internal_error(error: Exception) -> Reply:
    return error_reply("internal_server_error", f"{type(error).__name__}: {error}", 500)


_HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/products"): WooCommerceSandbox._list_products,
    ("POST", "/products"): WooCommerceSandbox._create_product,
    ("GET", "/products/{id}"): WooCommerceSandbox._get_product,
    ("DELETE", "/products/{id}"): WooCommerceSandbox._delete_product,
    ("GET", "/products/{product_id}/variations"): WooCommerceSandbox._list_variations,
    ("POST", "/products/{product_id}/variations"): WooCommerceSandbox._create_variation,
    ("GET", "/products/{product_id}/variations/{id}"): WooCommerceSandbox._get_variation,
    ("DELETE", "/products/{product_id}/variations/{id}"): WooCommerceSandbox._delete_variation,
    **{(method, "/products/{id}"): WooCommerceSandbox._update_product for method in ("POST", "PUT", "PATCH")},
    **{
        (method, "/products/{product_id}/variations/{id}"): WooCommerceSandbox._update_variation
        for method in ("POST", "PUT", "PATCH")
    },
    **{(method, "/products/batch"): WooCommerceSandbox._batch_products for method in ("POST", "PUT", "PATCH")},
    ("GET", "/orders"): WooCommerceSandbox._list_orders,
    ("POST", "/orders"): WooCommerceSandbox._create_order,
    ("GET", "/orders/{id}"): WooCommerceSandbox._get_order,
    ("DELETE", "/orders/{id}"): WooCommerceSandbox._delete_order,
    **{(method, "/orders/{id}"): WooCommerceSandbox._update_order for method in ("POST", "PUT", "PATCH")},
    **{(method, "/orders/batch"): WooCommerceSandbox._batch_orders for method in ("POST", "PUT", "PATCH")},
    ("GET", "/orders/{order_id}/notes"): WooCommerceSandbox._list_notes,
    ("POST", "/orders/{order_id}/notes"): WooCommerceSandbox._create_note,
    ("GET", "/orders/{order_id}/notes/{id}"): WooCommerceSandbox._get_note,
    ("GET", "/orders/{order_id}/refunds"): WooCommerceSandbox._list_refunds,
    ("POST", "/orders/{order_id}/refunds"): WooCommerceSandbox._create_refund,
    ("GET", "/orders/{order_id}/refunds/{id}"): WooCommerceSandbox._get_refund,
    ("GET", "/webhooks"): WooCommerceSandbox._list_webhooks,
    ("POST", "/webhooks"): WooCommerceSandbox._create_webhook,
    ("GET", "/webhooks/{id}"): WooCommerceSandbox._get_webhook,
    ("DELETE", "/webhooks/{id}"): WooCommerceSandbox._delete_webhook,
    **{(method, "/webhooks/{id}"): WooCommerceSandbox._update_webhook for method in ("POST", "PUT", "PATCH")},
    **{(method, "/webhooks/batch"): WooCommerceSandbox._batch_webhooks for method in ("POST", "PUT", "PATCH")},
    ("GET", "/system_status"): WooCommerceSandbox._system_status,
    ("GET", "/data/currencies/current"): WooCommerceSandbox._current_currency,
    **{
        (method, "/products/{product_id}/variations/batch"): WooCommerceSandbox._batch_variations
        for method in ("POST", "PUT", "PATCH")
    },
}
