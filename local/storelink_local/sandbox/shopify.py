"""A sandbox Shopify store: a local HTTP server that answers the Admin GraphQL API like Shopify does.

It executes every document against the Admin API contract schema (../shared/contracts), so it refuses
what Shopify refuses; charges Shopify's cost bucket (THROTTLED when it is empty); enforces the app's
access scopes; keeps the shop's catalogue, stock and orders in memory; runs bulk queries; and delivers
signed webhooks. Tests and the local runtime drive the merchant's and the buyers' side through its Python
methods (add_product, set_available, place_order, fulfil, cancel, uninstall_app...), plan failures through
`faults`, and read what the app's calls cost from `stats`.
"""

import functools
import hmac
import json
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, overload
from urllib.parse import parse_qsl, urlsplit

from graphql import GraphQLError, GraphQLSchema, build_schema, get_operation_ast, parse

from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.contracts import contract_path
from storelink_local.sandbox.server import Reply, Request, SandboxServer, Served
from storelink_local.sandbox.shopify_bulk import RUNNING_QUERIES_LIMIT, BulkOperations, result_path
from storelink_local.sandbox.shopify_cost import PLANS, CostBucket, RateLimit
from storelink_local.sandbox.shopify_faults import Fault, FaultKind, Faults, Stats
from storelink_local.sandbox.shopify_graphql import ShopifyGraphQL
from storelink_local.sandbox.shopify_orders import (
    CANCEL_REASONS,
    FINANCIAL_STATUSES,
    Customer,
    CustomerInput,
    DiscountInput,
    Fulfillment,
    FulfillmentRequest,
    MailingAddress,
    Order,
    OrderBook,
    OrderDraft,
    ShippingInput,
    TaxInput,
    TrackingInfo,
    line_inputs,
)
from storelink_local.sandbox.shopify_payloads import (
    cancel_events,
    fulfillment_events,
    level_events,
    order_created_events,
    order_payload,
    product_payload,
    refund_events,
    shop_payload,
)
from storelink_local.sandbox.shopify_resolvers import RequestContext
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES, AccessScopes
from storelink_local.sandbox.shopify_store import Location, Product, Shop, ShopifyStore, legacy_id
from storelink_local.sandbox.shopify_webhooks import (
    APP_UNINSTALLED,
    ORDERS_UPDATED,
    PRODUCTS_CREATE,
    PRODUCTS_UPDATE,
    WebhookDelivery,
    WebhookDispatcher,
    WebhookEvent,
    WebhookSubscription,
)

SHOPIFY_API_VERSION = "2026-10"
SCHEMA_ENV = "STORELINK_SHOPIFY_SCHEMA"
CONTRACT_FILE = "shopify-admin-2026-10.derived.graphql"
GRAPHQL_PATH = f"/admin/api/{SHOPIFY_API_VERSION}/graphql.json"

# Shopify's client credentials grant (Dev Dashboard apps on the merchant's own stores): tokens last about 24 h.
TOKEN_PATH = "/admin/oauth/access_token"  # noqa: S105  (a path, not a secret)
DEV_DASHBOARD_TOKEN_SECONDS = 86399
_INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
_NOT_FOUND = {"errors": "Not Found"}
_BAD_BODY = {"errors": {"query": "Required parameter missing or invalid"}}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def contract_schema_path() -> Path | None:
    """$STORELINK_SHOPIFY_SCHEMA, else <repository>/../shared/contracts/<contract file>."""
    return contract_path(SCHEMA_ENV, CONTRACT_FILE)


_schema_lock = threading.Lock()


@functools.cache
def _build_contract_schema() -> GraphQLSchema | None:
    path = contract_schema_path()
    if path is None or not path.is_file():
        return None
    # assume_valid: the type system is Shopify's own, and graphql-core >= 3.3 refuses some of its
    # deprecations (an implementation deprecating an interface's field); documents are still validated.
    return build_schema(path.read_text(), assume_valid=True)


def load_contract_schema() -> GraphQLSchema | None:
    """The Admin API contract schema, built once per process (about 3 s); None when the file is absent."""
    with _schema_lock:  # so two threads asking at once still build it once
        return _build_contract_schema()


@dataclass(frozen=True)
class ReceivedDocument:
    query: str
    variables: Mapping[str, Any]
    operation_name: str | None


class ShopifySandbox(Served):
    """One shop, served at `graphql_url` while started (or inside a `with` block).

    `plan` sets the cost bucket (a plan name in PLANS, or a RateLimit); `clock` drives every time the shop
    knows, so a ManualClock makes rate limits, the 60-day order window and bulk operations deterministic;
    `scopes` are the access scopes granted to the app; `faults` plans failures; `bulk_operation_seconds` is
    how long (on the clock) a bulk operation runs before it completes, and `bulk_query_limit` how many run
    at once (five from 2026-01 by Shopify's guide; 1 for the older rule).
    """

    # The first overload is the sandbox before its knobs: a caller passing its secrets as **dict[str, str]
    # still type-checks, while a call naming the knobs gets them checked.
    @overload
    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str,
        webhook_secret: str,
        shop_name: str | None = None,
        schema: GraphQLSchema | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str,
        webhook_secret: str,
        shop_name: str | None = None,
        schema: GraphQLSchema | None = None,
        plan: str | RateLimit = ...,
        clock: Clock = ...,
        scopes: Iterable[str] = ...,
        faults: Faults | None = ...,
        bulk_operation_seconds: float = ...,
        bulk_query_limit: int = ...,
    ) -> None: ...

    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str,
        webhook_secret: str,
        shop_name: str | None = None,
        schema: GraphQLSchema | None = None,
        plan: str | RateLimit = "standard",
        clock: Clock = system_clock,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        faults: Faults | None = None,
        bulk_operation_seconds: float = 0.0,
        bulk_query_limit: int = RUNNING_QUERIES_LIMIT,
    ) -> None:
        schema = schema if schema is not None else load_contract_schema()
        if schema is None:
            raise RuntimeError(f"the Shopify contract schema is missing: expected at {contract_schema_path()}")
        limit = plan if isinstance(plan, RateLimit) else PLANS[plan]
        self._access_token: str | None = access_token
        # A Dev Dashboard app's client credentials, and the tokens granted for them with their expiry.
        self._client_credentials: tuple[str, str] | None = None
        self._token_seconds = DEV_DASHBOARD_TOKEN_SECONDS
        self._granted_tokens: dict[str, datetime] = {}
        self.clock = clock
        self._store = ShopifyStore(shop_domain, shop_name or shop_domain.partition(".")[0], clock)
        self._orders = OrderBook(self._store)
        self._scopes = AccessScopes(scopes)
        self._bulk_operations = BulkOperations(clock, self._store.allocate, bulk_operation_seconds, bulk_query_limit)
        self._graphql = ShopifyGraphQL(schema, CostBucket(limit, lambda: clock().timestamp()))
        self._webhooks = WebhookDispatcher(
            shop_domain, webhook_secret, SHOPIFY_API_VERSION, self._store.allocate, clock
        )
        self.faults = faults if faults is not None else Faults()
        self.stats = Stats()
        self._documents_lock = threading.Lock()
        self._documents: list[ReceivedDocument] = []
        self._server = SandboxServer(self._reply, _internal_error, "shopify-sandbox")

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}{GRAPHQL_PATH}"

    # -- what tests observe -----------------------------------------------------------------------

    @property
    def shop(self) -> Shop:
        return self._store.shop

    @property
    def scopes(self) -> frozenset[str]:
        return self._scopes.granted

    @property
    def received_documents(self) -> list[ReceivedDocument]:
        with self._documents_lock:
            return list(self._documents)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhooks.deliveries

    @property
    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        return self._webhooks.subscriptions

    def subscribe_webhook(self, topic: str, url: str) -> WebhookSubscription:
        return self._webhooks.subscribe(topic, url)

    def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Sends a recorded delivery again, unchanged: what Shopify's retries look like to a receiver."""
        return self._webhooks.redeliver(delivery)

    @property
    def products(self) -> list[Product]:
        """Every product of the shop, as the Shopify admin lists them."""
        return self._store.products()

    @property
    def orders(self) -> list[Order]:
        """Every order of the shop, whatever the app's scopes let it see."""
        return self._orders.orders()

    def order(self, order_id: str | int) -> Order:
        order = self._orders.order(legacy_id(order_id))
        if order is None:
            raise KeyError(f"no order {order_id!r} in this shop")
        return order

    def quantity(self, inventory_item_id: str | int, location_id: str | int, name: str) -> int:
        """Any quantity of a level by its name: committed, on_hand, damaged..."""
        return self._store.quantity(inventory_item_id, location_id, name)

    # -- the merchant, in the Shopify admin -------------------------------------------------------

    def add_location(self, name: str) -> Location:
        return self._store.add_location(name)

    def add_product(
        self,
        title: str,
        variants: Iterable[Mapping[str, object]],
        stock: Mapping[str | int, int] | None = None,
        *,
        status: str = "ACTIVE",
        vendor: str = "",
        product_type: str = "",
        tags: Iterable[str] = (),
        combined_listing_role: str | None = None,
    ) -> Product:
        """Variants as {"sku", "barcode", "tracked", "title", "price", "inventory_policy", "requires_components",
        "components"}, components mapping a component variant's id to its quantity (a bundle); each variant is
        stocked at the `stock` locations. Fires products/create."""
        product = self._store.add_product(
            title,
            variants,
            stock or {},
            status=status,
            vendor=vendor,
            product_type=product_type,
            tags=tags,
            combined_listing_role=combined_listing_role,
        )
        self._publish([self._product_event(PRODUCTS_CREATE, product)])
        return product

    def update_variant(self, variant_id: str | int, **changes: object) -> Product:
        """Changes a variant's sku, barcode, title, price or inventory_policy. Fires products/update."""
        product = self._store.update_variant(variant_id, changes)
        self._publish([self._product_event(PRODUCTS_UPDATE, product)])
        return product

    def set_available(self, inventory_item_id: str | int, location_id: str | int, quantity: int) -> None:
        level = self._store.set_available(inventory_item_id, location_id, quantity)
        if level is not None:
            self._publish(level_events([level]))

    def available(self, inventory_item_id: str | int, location_id: str | int) -> int:
        return self._store.available(inventory_item_id, location_id)

    def fail_next_bulk_operations(self, count: int = 1, error_code: str = "INTERNAL_SERVER_ERROR") -> None:
        """The next `count` bulk operations end FAILED with `error_code` (Shopify's INTERNAL_SERVER_ERROR or
        TIMEOUT) instead of completing."""
        self._bulk_operations.fail_next(count, error_code)

    # -- buyers and the merchant's order desk ------------------------------------------------------

    def place_order(
        self,
        lines: Iterable[Mapping[str, object]],
        *,
        source_name: str = "web",
        customer: Mapping[str, str] | None = None,
        email: str | None = None,
        phone: str | None = None,
        shipping_address: Mapping[str, str] | None = None,
        billing_address: Mapping[str, str] | None = None,
        shipping_lines: Iterable[Mapping[str, object]] = (),
        tax_lines: Iterable[Mapping[str, object]] = (),
        discount_code: Mapping[str, object] | None = None,
        taxes_included: bool = False,
        tags: Iterable[str] = (),
        note: str | None = None,
        financial_status: str = "PAID",
        created_at: datetime | None = None,
    ) -> Order:
        """A buyer checks out: stock is committed (never oversold past a DENY policy), orders/create fires.

        Lines are {"variant_id", "quantity", "price"?} or custom {"title", "price", "quantity"}; customer is
        {"first_name", "last_name", "email", "phone"}; addresses use MailingAddress's field names; shipping
        lines {"title", "price", "code"?}; tax lines {"title", "rate", "price"?}; discount_code
        {"code", "amount"} or {"code", "percentage"} or {"code", "free_shipping": True}. `created_at`
        backdates the order (orders older than 60 days need read_all_orders to be seen). Shopify's own
        channels are the source names web, pos, shopify_draft_order, iphone and android; other channels
        (Facebook & Instagram, marketplaces) name themselves, usually by their app's id."""
        if financial_status not in FINANCIAL_STATUSES:
            raise ValueError(f"a financial status is one of {sorted(FINANCIAL_STATUSES)}, not {financial_status!r}")
        draft = OrderDraft(
            lines=line_inputs(lines),
            source_name=source_name,
            email=email,
            phone=phone,
            customer=None if customer is None else _customer_input(customer),
            shipping_address=None if shipping_address is None else MailingAddress(**shipping_address),
            billing_address=None if billing_address is None else MailingAddress(**billing_address),
            shipping_lines=tuple(
                ShippingInput(
                    title=str(line["title"]),
                    price=Decimal(str(line["price"])),
                    code=None if line.get("code") is None else str(line["code"]),
                )
                for line in shipping_lines
            ),
            tax_lines=tuple(
                TaxInput(
                    title=str(tax["title"]),
                    rate=Decimal(str(tax["rate"])),
                    price=None if tax.get("price") is None else Decimal(str(tax["price"])),
                )
                for tax in tax_lines
            ),
            taxes_included=taxes_included,
            discount=None if discount_code is None else _discount(discount_code),
            tags=tuple(tags),
            note=note,
            financial_status=financial_status,
            created_at=created_at,
        )
        outcome = self._orders.create(draft, "DECREMENT_OBEYING_POLICY")
        if outcome.order is None:
            raise ValueError("; ".join(error.message for error in outcome.user_errors))
        self._publish(
            [*level_events(outcome.changed_levels), *order_created_events(outcome.order, self._customer(outcome.order))]
        )
        return outcome.order

    def fulfil(
        self,
        order_id: str | int,
        *,
        tracking_company: str | None = None,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        notify_customer: bool = False,
        units: Mapping[str, int] | None = None,
    ) -> Fulfillment:
        """The merchant fulfils, from the order's first open fulfillment order, what remains of it, or the
        `units` of some of its lines (order line item id -> units): a shipment of its own, with tracking."""
        order = self.order(order_id)
        open_orders = [fo for fo in order.fulfillment_orders if fo.status in ("OPEN", "IN_PROGRESS")]
        if not open_orders:
            raise ValueError(f"order {order.name} has nothing left to fulfil")
        tracking = None
        if tracking_company or tracking_number or tracking_url:
            tracking = TrackingInfo(company=tracking_company, number=tracking_number, url=tracking_url)
        asked = (
            None
            if units is None
            else tuple(
                (line.id, units[line.line_item_id]) for line in open_orders[0].line_items if line.line_item_id in units
            )
        )
        outcome = self._orders.fulfil(
            FulfillmentRequest(
                fulfillment_orders=((open_orders[0].id, asked),), tracking=tracking, notify_customer=notify_customer
            )
        )
        if outcome.fulfillment is None or outcome.order is None:
            raise ValueError("; ".join(error.message for error in outcome.user_errors))
        self._publish(fulfillment_events(outcome.fulfillment, outcome.order, self._customer(outcome.order)))
        return outcome.fulfillment

    def cancel(
        self,
        order_id: str | int,
        *,
        reason: str = "CUSTOMER",
        restock: bool = True,
        refund: bool = True,
        staff_note: str | None = None,
    ) -> Order:
        """The merchant cancels the order: restocking gives its committed units back to available."""
        if reason not in CANCEL_REASONS:
            raise ValueError(f"a cancel reason is one of {sorted(CANCEL_REASONS)}, not {reason!r}")
        outcome = self._orders.cancel(
            self.order(order_id).id, reason, refund=refund, restock=restock, staff_note=staff_note
        )
        if outcome.order is None:
            raise ValueError("; ".join(error.message for error in outcome.user_errors))
        self._publish(
            [
                *level_events(outcome.changed_levels),
                *cancel_events(outcome.order, outcome.refund, self._customer(outcome.order)),
            ]
        )
        return outcome.order

    def mark_paid(self, order_id: str | int) -> Order:
        """The merchant marks the order paid (how a source approves an order awaiting approval): a manual sale of
        what is outstanding, orders/updated fires."""
        outcome = self._orders.mark_paid(self.order(order_id).id)
        if outcome.order is None:
            raise ValueError("; ".join(error.message for error in outcome.user_errors))
        self._publish([WebhookEvent(ORDERS_UPDATED, order_payload(outcome.order, self._customer(outcome.order)))])
        return outcome.order

    def refund_items(self, order_id: str | int, quantities: Mapping[str, int], *, restock: bool = True) -> Order:
        """The merchant refunds some unfulfilled units (line item id → units), restocking them: the order
        stays open, refunds/create and orders/updated fire."""
        order = self.order(order_id)
        outcome = self._orders.refund_unfulfilled(order.id, quantities, restock=restock)
        if outcome.order is None or outcome.refund is None:
            raise ValueError("; ".join(error.message for error in outcome.user_errors))
        self._publish(
            [
                *level_events(outcome.changed_levels),
                *refund_events(outcome.order, outcome.refund, self._customer(outcome.order)),
            ]
        )
        return outcome.order

    def install_dev_dashboard_app(
        self, client_id: str, client_secret: str, *, token_seconds: int = DEV_DASHBOARD_TOKEN_SECONDS
    ) -> None:
        """The merchant installs a Dev Dashboard app instead of the legacy custom app: its token goes, tokens
        come from the client credentials grant and expire after `token_seconds` on the shop's clock, and
        webhooks are signed with the client secret."""
        self._access_token = None
        self._client_credentials = (client_id, client_secret)
        self._token_seconds = token_seconds
        self._webhooks.use_secret(client_secret)

    @property
    def tokens_granted(self) -> int:
        """How many access tokens the client credentials grant has issued."""
        return len(self._granted_tokens)

    def change_scopes(self, scopes: Iterable[str]) -> None:
        """The merchant approves a different list of access scopes for the app (declines one storelink asks
        for, or approves it again): the same token now opens what they open."""
        self._scopes = AccessScopes(scopes)

    def rotate_access_token(self, new_token: str) -> None:
        """The merchant rotates the custom app's token in the admin: the one storelink holds answers 401 from
        now on (the app stays installed, its webhooks keep coming), until storelink is given `new_token`."""
        self._access_token = new_token

    def uninstall_app(self) -> None:
        """The merchant removes the app: its token stops working, app/uninstalled fires, subscriptions go."""
        self._access_token = None
        self._publish([WebhookEvent(APP_UNINSTALLED, shop_payload(self.shop))])
        self._webhooks.unsubscribe_all()

    # -- serving ----------------------------------------------------------------------------------

    def _reply(self, request: Request) -> Reply:
        if request.method == "POST":
            reply = self._serve(request.target, request.headers.get("x-shopify-access-token"), request.body)
        elif request.method == "GET" and (result := self._bulk_result(request.target)) is not None:
            reply = Reply(200, result, content_type="application/jsonl")
        else:
            reply = Reply.json(404, _NOT_FOUND)
        return replace(reply, headers=(("X-Shopify-API-Version", SHOPIFY_API_VERSION),))

    def _serve(self, path: str, token: str | None, body: bytes) -> Reply:
        if urlsplit(path).path == TOKEN_PATH:
            return self._grant(body)
        if urlsplit(path).path != GRAPHQL_PATH:
            return Reply.json(404, _NOT_FOUND)
        if not self._token_works(token):
            return Reply.json(401, _INVALID_TOKEN)
        document = _document(body)
        if document is None:
            return Reply.json(400, _BAD_BODY)
        with self._documents_lock:
            self._documents.append(document)
        fault = self.faults.next_fault()
        if self.faults.latency:
            self.faults.sleep(self.faults.latency)
        if fault is not None and fault.kind != FaultKind.THROTTLE and not fault.after_applying:
            self.stats.record(_operation_name(document), failed=True)
            return _faulted(fault)
        context = RequestContext(
            store=self._store,
            orders=self._orders,
            scopes=self._scopes,
            bulk_operations=self._bulk_operations,
            webhooks=self._webhooks,
            base_url=self.base_url,
        )
        outcome = self._graphql.execute(
            context,
            document.query,
            document.variables,
            document.operation_name,
            force_throttle=fault is not None and fault.kind == FaultKind.THROTTLE,
        )
        # Before answering, so the caller finds the deliveries done when its request returns.
        self._publish(outcome.events)
        failed = fault is not None and fault.after_applying
        self.stats.record(outcome.operation_name, cost=outcome.cost, throttled=outcome.throttled, failed=failed)
        if fault is not None and fault.after_applying:
            return _faulted(fault)
        return Reply.json(200, outcome.body)

    def _token_works(self, token: str | None) -> bool:
        if token is None:
            return False
        static = self._access_token
        if static is not None and hmac.compare_digest(token.encode(), static.encode()):
            return True
        expires_at = self._granted_tokens.get(token)
        return expires_at is not None and self.clock() < expires_at

    def _grant(self, body: bytes) -> Reply:
        """POST /admin/oauth/access_token, grant_type=client_credentials, form-encoded as Shopify documents it
        (a JSON body is taken too): a token that expires, or 400 with OAuth's error for anything else."""
        try:
            fields = json.loads(body) if body.lstrip().startswith(b"{") else dict(parse_qsl(body.decode()))
        except (ValueError, UnicodeDecodeError):
            fields = {}
        if fields.get("grant_type") != "client_credentials":
            return Reply.json(400, {"error": "unsupported_grant_type"})
        credentials = self._client_credentials
        if credentials is None or (fields.get("client_id"), fields.get("client_secret")) != credentials:
            return Reply.json(400, {"error": "invalid_client", "error_description": "Client credentials are invalid"})
        token = f"shpat_{uuid.uuid4().hex}"
        self._granted_tokens[token] = self.clock() + timedelta(seconds=self._token_seconds)
        return Reply.json(
            200,
            {"access_token": token, "scope": ",".join(sorted(self._scopes.granted)), "expires_in": self._token_seconds},
        )

    def _bulk_result(self, path: str) -> bytes | None:
        number = urlsplit(path).path.removeprefix("/sandbox/bulk-operations/").removesuffix(".jsonl")
        if not number.isdigit() or urlsplit(path).path != result_path(int(number)):
            return None
        return self._bulk_operations.result(int(number))

    def _publish(self, events: Iterable[WebhookEvent]) -> None:
        for event in events:
            self._webhooks.publish(event.topic, event.payload)

    def _customer(self, order: Order) -> Customer | None:
        return self._orders.customer_of(order)

    def _product_event(self, topic: str, product: Product) -> WebhookEvent:
        def available(item_id: str) -> int:
            return sum(level.quantities["available"] for level in self._store.levels_of_item(legacy_id(item_id)))

        return WebhookEvent(topic, product_payload(product, available))


def _internal_error(error: Exception) -> Reply:
    return Reply.json(500, {"errors": f"Internal Server Error: {type(error).__name__}: {error}"})


def _faulted(fault: Fault) -> Reply:
    if fault.kind == FaultKind.STATUS:
        return Reply.json(fault.status, {"errors": _REASONS.get(fault.status, "Server Error")})
    if fault.kind == FaultKind.DROP:
        return Reply.dropped()
    return Reply.held(fault.seconds)


def _operation_name(document: ReceivedDocument) -> str | None:
    try:
        operation = get_operation_ast(parse(document.query), document.operation_name)
    except GraphQLError:
        return document.operation_name
    return operation.name.value if operation is not None and operation.name else document.operation_name


def _customer_input(customer: Mapping[str, str]) -> CustomerInput:
    unknown = set(customer) - {"first_name", "last_name", "email", "phone"}
    if unknown:
        raise TypeError(f"a customer has first_name, last_name, email and phone, not {sorted(unknown)}")
    return CustomerInput(
        email=customer.get("email"),
        phone=customer.get("phone"),
        first_name=customer.get("first_name"),
        last_name=customer.get("last_name"),
    )


def _discount(discount: Mapping[str, object]) -> DiscountInput:
    code = str(discount["code"])
    if discount.get("free_shipping"):
        return DiscountInput(code=code, kind="free_shipping")
    if "percentage" in discount:
        return DiscountInput(code=code, kind="percentage", value=Decimal(str(discount["percentage"])))
    return DiscountInput(code=code, kind="fixed_amount", value=Decimal(str(discount["amount"])))


def _document(body: bytes) -> ReceivedDocument | None:
    try:
        request = json.loads(body)
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    query, variables, operation_name = request.get("query"), request.get("variables"), request.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return None
    if not (variables is None or isinstance(variables, dict)) or not (
        operation_name is None or isinstance(operation_name, str)
    ):
        return None
    return ReceivedDocument(query=query, variables=variables or {}, operation_name=operation_name or None)
