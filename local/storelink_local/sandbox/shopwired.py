"""A sandbox ShopWired account: a local HTTP server that answers ShopWired's REST API v1 as ShopWired does.

It serves `/v1/...` (https://api.ecommerceapi.uk/v1 in production) with HTTP Basic authentication (the API key as
user, the API secret as password), a leaky bucket of about 40 calls draining 2 a second (429 beyond, on the
injectable clock), lists paged with `count`/`offset` answered as bare arrays, stock by SKU, orders, order
statuses, refunds and webhooks (shopwired_webhooks). Tests and the local runtime act as the merchant and buyers
through its Python methods (add_product, set_stock, import_stock, place_order, set_order_status,
revoke_access...), plan failures through `faults`, and land a sale between a client's read and its write with
`before_write`. What ShopWired's documentation does not say is marked assumed here and in docs/shopwired.md.
"""

import functools
import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Concatenate, Literal
from urllib.parse import parse_qs

from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.server import Reply, Request, SandboxServer, Served, WriteHooks, basic_credentials
from storelink_local.sandbox.shopify_faults import Fault, FaultKind, Faults, Stats
from storelink_local.sandbox.shopwired_store import Account, Order, OrderStatus, Product, Refund, StoreError
from storelink_local.sandbox.shopwired_webhooks import ShopWiredDelivery, Webhook, WebhookDispatcher, rfc2822

API_PREFIX = "/v1"
BURST = 40  # calls the bucket holds
DRAIN_PER_SECOND = 2.0
STOCK_WRITE_LIMIT = 15  # {sku, quantity} items in one POST /stock
IDS_LIMIT = 50  # order ids in one GET /orders?ids=
PAGE_LIMIT = 100  # the largest `count` (assumed; a larger one is answered with this many)
DEFAULT_COUNT = 50  # (assumed)
Deliveries = Literal["after_each_request", "on_demand"]
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    route: str  # e.g. /orders/{id}/status
    path: str  # under /v1
    query: Mapping[str, str]
    body: Any
    received_at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class _Call:
    query: Mapping[str, str]
    body: Any
    ids: tuple[int, ...]  # the ids in the path, in order


Handler = Callable[["ShopWiredSandbox", _Call], Reply]


def _merchant_action[**P, T](
    action: Callable[Concatenate["ShopWiredSandbox", P], T],
) -> Callable[Concatenate["ShopWiredSandbox", P], T]:
    """Something the merchant or a buyer does in the account: its webhooks go once it is done."""

    @functools.wraps(action)
    def done(sandbox: "ShopWiredSandbox", *args: P.args, **kwargs: P.kwargs) -> T:
        result = action(sandbox, *args, **kwargs)
        sandbox._settle()
        return result

    return done


def error_reply(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """ShopWired's error body (assumed: `{"message"}`)."""
    return Reply.json(status, {"message": message}, headers)


class LeakyBucket:
    """ShopWired's rate limit as the sandbox keeps it: each call fills one, the bucket drains DRAIN_PER_SECOND on
    the clock, and a call that finds it full is refused (429) with the seconds until one fits."""

    def __init__(self, clock: Clock, burst: int = BURST, drain: float = DRAIN_PER_SECOND) -> None:
        self._clock = clock
        self.burst, self.drain = burst, drain
        self._level = 0.0
        self._at = clock().timestamp()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """None when the call fits (and is counted), else the seconds until it would."""
        with self._lock:
            now = self._clock().timestamp()
            self._level = max(0.0, self._level - (now - self._at) * self.drain)
            self._at = now
            if self._level + 1 > self.burst:
                return (self._level + 1 - self.burst) / self.drain
            self._level += 1
            return None


class ShopWiredSandbox(Served):
    """One ShopWired account, served at `api_url` while started (or inside a `with` block).

    `clock` drives the rate limit, order dates and webhook retries; `faults` plans failures; `deliveries` says
    when queued webhook deliveries go: after each request and merchant action (before the answer), or only when a
    test calls `deliver_due`. `rate_limited` False turns the bucket off (a benchmark measuring something else).
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        webhook_secret: str,
        clock: Clock = system_clock,
        faults: Faults | None = None,
        business_id: int = 4242,
        shop_name: str = "Sandbox ShopWired shop",
        currency: str = "GBP",
        deliveries: Deliveries = "after_each_request",
        rate_limited: bool = True,
    ) -> None:
        self._credentials: tuple[str, str] | None = (api_key, api_secret)
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.faults = faults if faults is not None else Faults()
        self.stats = Stats()
        self.business_id = business_id
        self.shop_name = shop_name
        self.currency = currency
        self.deliveries = deliveries
        self.bucket = LeakyBucket(clock) if rate_limited else None
        self._webhooks = WebhookDispatcher(clock, business_id, lambda: self.webhook_secret)
        self._account = Account(clock, self._occurred)
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._hooks = WriteHooks()
        self._server = SandboxServer(
            self._reply, lambda error: error_reply(500, f"{type(error).__name__}"), "shopwired"
        )

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    # -- what tests observe -----------------------------------------------------------------------

    @property
    def received_requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    @property
    def webhooks(self) -> list[Webhook]:
        return self._webhooks.webhooks

    @property
    def webhook_deliveries(self) -> list[ShopWiredDelivery]:
        """Every POST to a webhook's URL, verification requests included (topic None), in the order sent."""
        return self._webhooks.deliveries

    @property
    def pending_deliveries(self) -> int:
        return self._webhooks.pending

    def deliver_due(self) -> list[ShopWiredDelivery]:
        """Sends the deliveries due by the clock (new ones, and retries whose hour has come)."""
        return self._webhooks.deliver_due()

    def stock(self, sku: str) -> int:
        return self._account.stock(sku)

    def product(self, product_id: int) -> dict[str, Any]:
        return product_json(self._account.product(product_id))

    def order(self, order_id: int) -> dict[str, Any]:
        return order_json(self._account.order(order_id))

    @property
    def orders(self) -> list[dict[str, Any]]:
        return [order_json(order) for order in sorted(self._account.orders(), key=lambda o: o.id)]

    def status_id(self, kind: str) -> int:
        """The id of the account's status of this type (paid, unpaid, cancelled, shipped)."""
        return self._account.status_of_type(kind).id

    # -- the merchant, in the admin system --------------------------------------------------------

    @_merchant_action
    def add_product(
        self,
        title: str,
        *,
        sku: str = "",
        stock: int | None = None,
        gtin: str = "",
        price: str = "10.00",
        variations: Iterable[Mapping[str, Any]] = (),
    ) -> Product:
        """A product with its SKU and stock, or with variations {sku, stock, gtin, price, options}."""
        return self._account.add_product(
            title, sku=sku, stock=stock, gtin=gtin, price=Decimal(price), variations=list(variations)
        )

    @_merchant_action
    def set_stock(self, sku: str, quantity: int) -> None:
        """The merchant edits a product's stock (its page, or the stock management page)."""
        self._account.set_stock(sku, quantity)

    @_merchant_action
    def import_stock(self, quantities: Mapping[str, int]) -> None:
        """The stock import system: a CSV of SKUs and quantities, each an absolute overwrite."""
        for sku, quantity in quantities.items():
            self._account.set_stock(sku, quantity)

    @_merchant_action
    def delete_product(self, product_id: int) -> None:
        self._account.delete_product(product_id)

    @_merchant_action
    def add_order_status(self, name: str) -> int:
        return self._account.add_status(name).id

    # -- buyers and the merchant's orders ---------------------------------------------------------

    @_merchant_action
    def place_order(self, lines: Iterable[Mapping[str, Any]], *, status: str = "paid") -> int:
        """A buyer checks out: lines {sku, quantity}; a paid order takes its units from stock at once."""
        order = self._account.place_order(
            lines,
            status=self._account.status_of_type(status),
            delivery_rate={"name": "Standard delivery", "price": 3.95},
            through_api=False,
            payment_method="Stripe",
        )
        return order.id

    @_merchant_action
    def set_order_status(self, order_id: int, status: str, *, tracking_url: str | None = None) -> None:
        """The merchant moves the order to the status of this type (or name), as the admin system does."""
        found = next((s for s in self._account.statuses if status in (s.type, s.name)), None)
        if found is None:
            raise KeyError(f"no order status {status}")
        self._account.set_order_status(order_id, found, tracking_url)

    @_merchant_action
    def refund_order(self, order_id: int, lines: Mapping[int, int], amount: str) -> int:
        """The merchant refunds units of the order's lines (line id → units) and an amount."""
        return self._account.refund(order_id, lines, Decimal(amount), "Refunded by the merchant").id

    # -- the merchant's API credentials -----------------------------------------------------------

    def revoke_access(self) -> None:
        """The merchant generates new API credentials: the old ones answer 401 from now on."""
        self._credentials = None

    def issue_credentials(self, api_key: str, api_secret: str) -> None:
        self._credentials = (api_key, api_secret)

    def disable_webhook(self, webhook_id: int) -> None:
        """As ShopWired does after 24 failed deliveries."""
        self._webhooks.disable(webhook_id)

    def before_write(self, callback: Callable[[], None], *, path: str | None = None) -> None:
        """Runs `callback` once, when the next write (to `path` under /v1 when given) has passed every check and
        is about to be applied: how a test lands a sale between a client's read and its write."""
        self._hooks.add(callback, path)

    # -- serving ----------------------------------------------------------------------------------

    def _reply(self, request: Request) -> Reply:
        if not request.path.startswith(API_PREFIX + "/"):
            return error_reply(404, "Not found.")
        path = request.path.removeprefix(API_PREFIX)
        if not self._authorized(request.headers.get("authorization")):
            return error_reply(401, "Unauthorized.", (("WWW-Authenticate", 'Basic realm="ShopWired API"'),))
        if self.bucket is not None and (wait := self.bucket.take()) is not None:
            self.stats.record(f"{request.method} {path}", throttled=True)
            return error_reply(429, "Too many requests.", (("Retry-After", str(max(1, math.ceil(wait)))),))
        route, handler, ids = _route(request.method, path)
        if handler is None:
            return error_reply(404 if route is None else 405, "Not found." if route is None else "Method not allowed.")
        try:
            body = json.loads(request.body) if request.body.strip() else None
        except ValueError:
            return error_reply(400, "The request body is not valid JSON.")
        query = {name: values[-1] for name, values in parse_qs(request.query).items()}
        with self._lock:
            self._received.append(ReceivedRequest(request.method, route or path, path, query, body, time.monotonic()))
        fault = self.faults.next_fault()
        if self.faults.latency:
            self.faults.sleep(self.faults.latency)
        if fault is not None and not fault.after_applying:
            self.stats.record(f"{request.method} {route}", failed=True)
            return _faulted(fault)
        if request.method != "GET":
            self._hooks.run(path)
        try:
            reply = handler(self, _Call(query, body, ids))
        except StoreError as refused:
            reply = error_reply(refused.status, refused.message)
        self.stats.record(f"{request.method} {route}", failed=fault is not None)
        self._settle()
        return _faulted(fault) if fault is not None else reply

    def _authorized(self, header: str | None) -> bool:
        credentials, given = self._credentials, basic_credentials(header)
        if credentials is None or given is None:
            return False
        return hmac.compare_digest(given[0].encode(), credentials[0].encode()) and hmac.compare_digest(
            given[1].encode(), credentials[1].encode()
        )

    def _occurred(self, topic: str, subject_id: int, data: dict[str, Any]) -> None:
        """What an event's `data` carries (assumed, as storelink's webhook reader reads it: docs/shopwired-webhooks.md):
        an order event the order as `object` (its status as `newStatus` when that changed), a refund event the refund
        (`id, orderId, createdAt, amount, description`), a product event the product; a stock event ShopWired's
        `{sku, isVariation, newQuantity, orderId?}`."""
        if topic == "order.refund.created":
            order = order_json(self._account.order(subject_id))
            data = next(r for r in order["refunds"] if r["id"] == data["refundId"])
        elif topic.startswith("order."):
            order = order_json(self._account.order(subject_id))
            data = {"object": order} | ({"newStatus": order["status"]} if topic == "order.status_changed" else {})
        elif topic in ("product.created", "product.updated"):
            data = product_json(self._account.product(subject_id))
        self._webhooks.occurred(topic, subject_id, data)

    def _settle(self) -> None:
        if self.deliveries == "after_each_request":
            self._webhooks.deliver_due()

    # -- products and stock -----------------------------------------------------------------------

    def _list_products(self, call: _Call) -> Reply:
        return Reply.json(200, _page(call.query, [product_json(p) for p in self._account.products()]))

    def _count_products(self, call: _Call) -> Reply:
        return Reply.json(200, {"count": len(self._account.products())})

    def _get_product(self, call: _Call) -> Reply:
        return Reply.json(200, product_json(self._account.product(call.ids[0])))

    def _create_product(self, call: _Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        if not body.get("title"):
            raise StoreError(422, "The title is required.")
        product = self._account.add_product(
            str(body["title"]),
            sku=str(body.get("sku") or ""),
            stock=body.get("stock"),
            price=Decimal(str(body.get("price", "0"))),
            variations=list(body.get("variations") or []),
            active=bool(body.get("active", True)),
            description=str(body.get("description") or ""),
        )
        return Reply.json(201, product_json(product))

    def _update_product(self, call: _Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        return Reply.json(200, product_json(self._account.update_product(call.ids[0], body)))

    def _delete_product(self, call: _Call) -> Reply:
        self._account.delete_product(call.ids[0])
        return Reply.json(200, {})

    def _get_stock(self, call: _Call) -> Reply:
        sku = call.query.get("sku", "")
        if not sku:
            raise StoreError(400, "The sku parameter is required.")
        return Reply.json(200, {"sku": sku, "quantity": self._account.stock(sku)})

    def _post_stock(self, call: _Call) -> Reply:
        """An array of at most 15 {sku, quantity}, each an absolute quantity; SKUs the account does not have are
        skipped, and `updated` counts the others (assumed)."""
        items = call.body
        if not isinstance(items, list) or not items:
            raise StoreError(400, "The body must be an array of {sku, quantity}.")
        if len(items) > STOCK_WRITE_LIMIT:
            raise StoreError(400, f"At most {STOCK_WRITE_LIMIT} stock quantities can be updated at once.")
        if not all(_stock_item(item) for item in items):
            raise StoreError(400, "Each item needs a sku and a whole quantity.")
        updated = 0
        for item in items:
            try:
                self._account.set_stock(str(item["sku"]), int(item["quantity"]))
            except StoreError:
                continue
            updated += 1
        return Reply.json(200, {"updated": updated})

    def _put_stock(self, call: _Call) -> Reply:
        """The older form: one {sku, quantity}."""
        if not _stock_item(call.body):
            raise StoreError(400, "The body must be {sku, quantity}.")
        self._account.set_stock(str(call.body["sku"]), int(call.body["quantity"]))
        return Reply.json(200, {"sku": call.body["sku"], "quantity": int(call.body["quantity"])})

    # -- orders -----------------------------------------------------------------------------------

    def _list_orders(self, call: _Call) -> Reply:
        return Reply.json(200, _page(call.query, [order_json(o) for o in self._selected_orders(call.query)]))

    def _count_orders(self, call: _Call) -> Reply:
        return Reply.json(200, {"count": len(self._selected_orders(call.query))})

    def _selected_orders(self, query: Mapping[str, str]) -> list[Order]:
        """Filtered by creation time (`from`/`to`, UNIX seconds, both included), status id, archived and ids;
        newest first (assumed)."""
        ids = {int(i) for i in query["ids"].split(",") if i.strip()} if query.get("ids") else None
        if ids is not None and len(ids) > IDS_LIMIT:
            raise StoreError(400, f"At most {IDS_LIMIT} ids can be asked for at once.")
        start, end = _seconds(query.get("from")), _seconds(query.get("to"))
        archived = query.get("archived")
        kept = [
            order
            for order in self._account.orders()
            if (ids is None or order.id in ids)
            and (start is None or order.created.timestamp() >= start)
            and (end is None or order.created.timestamp() <= end)
            and ("status" not in query or str(order.status.id) == query["status"])
            and (archived is None or order.archived == (archived.lower() in ("1", "true")))
        ]
        return sorted(kept, key=lambda o: o.id, reverse=True)

    def _get_order(self, call: _Call) -> Reply:
        return Reply.json(200, order_json(self._account.order(call.ids[0])))

    def _create_order(self, call: _Call) -> Reply:
        """An order through the API: it needs a delivery rate, takes no vouchers or gift cards, and takes no
        stock (assumed: docs/shopwired.md says how storelink would notice)."""
        body = call.body if isinstance(call.body, dict) else {}
        for refused in ("vouchers", "voucher", "giftCards", "giftCard"):
            if body.get(refused):
                raise StoreError(422, "Vouchers and gift cards cannot be used on orders created through the API.")
        rate = body.get("deliveryRate")
        if not isinstance(rate, dict) or "name" not in rate or "price" not in rate:
            raise StoreError(422, "A delivery rate (deliveryRate: {name, price}) is required.")
        status = (
            self._account.status(int(body["status"])) if "status" in body else self._account.status_of_type("unpaid")
        )
        order = self._account.place_order(
            list(body.get("products") or []),
            status=status,
            delivery_rate=rate,
            through_api=True,
            billing_address=dict(body.get("billingAddress") or {}),
            shipping_address=dict(body.get("shippingAddress") or {}),
            payment_method=str(body.get("paymentMethod") or ""),
            notes=str(body.get("notes") or ""),
        )
        return Reply.json(201, order_json(order))

    def _order_status(self, call: _Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        if "status" not in body:
            raise StoreError(422, "The status is required.")
        status = self._account.status(int(body["status"]))
        tracking = body.get("trackingUrl")
        order = self._account.set_order_status(call.ids[0], status, None if tracking is None else str(tracking))
        return Reply.json(200, order_json(order))

    def _list_statuses(self, call: _Call) -> Reply:
        return Reply.json(200, [status_json(s) for s in self._account.statuses])

    def _list_refunds(self, call: _Call) -> Reply:
        order = self._account.order(call.ids[0])
        return Reply.json(200, [refund_json(r, order.id) for r in order.refunds])

    def _create_refund(self, call: _Call) -> Reply:
        """A refund of products (line id and quantity) and an amount; it restocks nothing (assumed)."""
        body = call.body if isinstance(call.body, dict) else {}
        lines = {int(p["id"]): int(p["quantity"]) for p in body.get("products") or []}
        refund = self._account.refund(
            call.ids[0], lines, Decimal(str(body.get("amount", 0))), str(body.get("description") or "")
        )
        return Reply.json(201, refund_json(refund, call.ids[0]))

    # -- webhooks ---------------------------------------------------------------------------------

    def _list_webhooks(self, call: _Call) -> Reply:
        return Reply.json(200, [w.json() for w in self._webhooks.webhooks])

    def _create_webhook(self, call: _Call) -> Reply:
        return Reply.json(201, self._webhooks.create(call.body if isinstance(call.body, dict) else {}).json())

    def _get_webhook(self, call: _Call) -> Reply:
        return Reply.json(200, self._webhooks.get(call.ids[0]).json())

    def _update_webhook(self, call: _Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        return Reply.json(200, self._webhooks.update(call.ids[0], body).json())

    def _delete_webhook(self, call: _Call) -> Reply:
        self._webhooks.delete(call.ids[0])
        return Reply.json(200, {})


# -- payloads -------------------------------------------------------------------------------------


def product_json(product: Product) -> dict[str, Any]:
    """A product as the API shows it: SKU and stock on it when it has no variations, else on each variation."""
    body: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "active": product.active,
        "price": float(product.price),
        "gtin": product.gtin,
        "variations": [
            {
                "id": v.id,
                "sku": v.sku,
                "stock": v.stock if v.sku else None,
                "gtin": v.gtin,
                "price": float(v.price),
                "options": list(v.options),
            }
            for v in product.variations
        ],
    }
    if not product.variations:
        body |= {"sku": product.sku, "stock": product.stock if product.sku else None}
    return body


def status_json(status: OrderStatus) -> dict[str, Any]:
    return {"id": status.id, "name": status.name, "type": status.type}


def refund_json(refund: Refund, order_id: int) -> dict[str, Any]:
    return {
        "id": refund.id,
        "orderId": order_id,
        "createdAt": rfc2822(refund.created),
        "amount": float(refund.amount),
        "description": refund.description,
        "products": [{"id": line_id, "quantity": units} for line_id, units in refund.lines.items()],
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "reference": order.reference,
        "created": rfc2822(order.created),
        "archived": order.archived,
        "trackingUrl": order.tracking_url,
        "status": status_json(order.status),
        "billingAddress": order.billing_address,
        "shippingAddress": order.shipping_address,
        "paymentMethod": order.payment_method,
        "notes": order.notes,
        "subTotal": float(order.sub_total),
        "total": float(order.total),
        "deliveryRate": order.delivery_rate,
        "products": [
            {
                "id": line.id,
                "productId": line.product_id,
                "variationId": line.variation_id,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "price": float(line.price),
            }
            for line in order.lines
        ],
        "refunds": [refund_json(refund, order.id) for refund in order.refunds],
    }


# -- plumbing -------------------------------------------------------------------------------------


def _page(query: Mapping[str, str], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    count = min(int(query.get("count", DEFAULT_COUNT)), PAGE_LIMIT)
    offset = int(query.get("offset", 0))
    return items[offset : offset + count]


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    if not value.isdigit():
        raise StoreError(400, f"{value!r} is not a UNIX timestamp.")
    return float(value)


def _stock_item(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("sku"), str)
        and isinstance(item.get("quantity"), int)
        and not isinstance(item.get("quantity"), bool)
    )


def _faulted(fault: Fault) -> Reply:
    if fault.kind == FaultKind.THROTTLE:
        return error_reply(429, "Too many requests.", (("Retry-After", "1"),))
    if fault.kind == FaultKind.STATUS:
        return error_reply(fault.status, _REASONS.get(fault.status, "Server Error"))
    if fault.kind == FaultKind.DROP:
        return Reply.dropped()
    return Reply.held(fault.seconds)


_HANDLERS: dict[str, dict[str, Handler]] = {
    "/products": {"GET": ShopWiredSandbox._list_products, "POST": ShopWiredSandbox._create_product},
    "/products/count": {"GET": ShopWiredSandbox._count_products},
    "/products/{id}": {
        "GET": ShopWiredSandbox._get_product,
        "PUT": ShopWiredSandbox._update_product,
        "DELETE": ShopWiredSandbox._delete_product,
    },
    "/stock": {
        "GET": ShopWiredSandbox._get_stock,
        "POST": ShopWiredSandbox._post_stock,
        "PUT": ShopWiredSandbox._put_stock,
    },
    "/orders": {"GET": ShopWiredSandbox._list_orders, "POST": ShopWiredSandbox._create_order},
    "/orders/count": {"GET": ShopWiredSandbox._count_orders},
    "/orders/{id}": {"GET": ShopWiredSandbox._get_order},
    "/orders/{id}/status": {"POST": ShopWiredSandbox._order_status},
    "/orders/{id}/refunds": {"GET": ShopWiredSandbox._list_refunds, "POST": ShopWiredSandbox._create_refund},
    "/order-statuses": {"GET": ShopWiredSandbox._list_statuses},
    "/webhooks": {"GET": ShopWiredSandbox._list_webhooks, "POST": ShopWiredSandbox._create_webhook},
    "/webhooks/{id}": {
        "GET": ShopWiredSandbox._get_webhook,
        "PUT": ShopWiredSandbox._update_webhook,
        "DELETE": ShopWiredSandbox._delete_webhook,
    },
}
_ROUTES: list[tuple[str, re.Pattern[str], dict[str, Handler]]] = [
    (route, re.compile("^" + route.replace("{id}", r"(\d+)") + "$"), handlers) for route, handlers in _HANDLERS.items()
]


def _route(method: str, path: str) -> tuple[str | None, Handler | None, tuple[int, ...]]:
    """(the route's template, its handler for `method`, the ids in the path); None for what ShopWired lacks."""
    for route, pattern, handlers in _ROUTES:
        matched = pattern.match(path.rstrip("/") or "/")
        if matched:
            return route, handlers.get(method), tuple(int(group) for group in matched.groups())
    return None, None, ()
