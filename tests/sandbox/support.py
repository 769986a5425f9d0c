"""Helpers for the sandbox tests: an Admin API client call, a stocked shop, a webhook receiver."""

import base64
import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from storelink_local.sandbox import Location, Product, ShopifySandbox

SHOP_DOMAIN = "source-shop.myshopify.com"
ACCESS_TOKEN = "shpat_sandbox_token"
WEBHOOK_SECRET = "sandbox-webhook-secret"
REFERENCE = "gid://storelink/StockSync/1"
ABSENT = object()


def post(
    sandbox: ShopifySandbox, body: Any, *, token: str | None = ACCESS_TOKEN, url: str | None = None
) -> httpx.Response:
    headers = {} if token is None else {"X-Shopify-Access-Token": token}
    return httpx.post(url or sandbox.graphql_url, json=body, headers=headers)


def graphql(sandbox: ShopifySandbox, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    response = post(sandbox, {"query": query, "variables": dict(variables or {})})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def quantity(item_id: str, location_id: str, quantity: int, change_from: object = ABSENT) -> dict[str, Any]:
    entry: dict[str, Any] = {"inventoryItemId": item_id, "locationId": location_id, "quantity": quantity}
    if change_from is not ABSENT:
        entry["changeFromQuantity"] = change_from
    return entry


def set_variables(*quantities: dict[str, Any], name: str = "available", reason: str = "correction") -> dict[str, Any]:
    return {
        "input": {"name": name, "reason": reason, "referenceDocumentUri": REFERENCE, "quantities": list(quantities)},
        "idempotencyKey": str(uuid.uuid4()),
    }


def change(item_id: str, location_id: str, delta: int, ledger: str | None = None) -> dict[str, Any]:
    # From 2026-04 every change names changeFromQuantity; null opts out of the check.
    entry: dict[str, Any] = {
        "inventoryItemId": item_id,
        "locationId": location_id,
        "delta": delta,
        "changeFromQuantity": None,
    }
    if ledger is not None:
        entry["ledgerDocumentUri"] = ledger
    return entry


def adjust_variables(*changes: dict[str, Any], name: str = "available", reason: str = "correction") -> dict[str, Any]:
    return {
        "input": {"name": name, "reason": reason, "referenceDocumentUri": REFERENCE, "changes": list(changes)},
        "idempotencyKey": str(uuid.uuid4()),
    }


def hmac_of(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class StockedShop:
    """A warehouse with 5 of each variant, a shop floor with 2, and a location stocking nothing."""

    sandbox: ShopifySandbox
    warehouse: Location
    shop_floor: Location
    unstocked: Location
    product: Product

    @property
    def item_id(self) -> str:
        return self.product.variants[0].inventory_item_id


def stock_a_shop(sandbox: ShopifySandbox) -> StockedShop:
    warehouse, shop_floor = sandbox.add_location("Warehouse"), sandbox.add_location("Shop floor")
    unstocked = sandbox.add_location("Pop-up")
    product = sandbox.add_product(
        "Linen shirt",
        # Real catalogues have variants without a SKU ("") and without a barcode (null).
        [{"sku": "SHIRT-M", "barcode": "4006381333931"}, {"sku": "", "barcode": None}],
        stock={warehouse.id: 5, shop_floor.id: 2},
    )
    return StockedShop(sandbox, warehouse, shop_floor, unstocked, product)


@dataclass(frozen=True)
class Received:
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint: records what arrives, answers `status` (200), and may call back first."""

    url: str
    received: list[Received] = field(default_factory=list)
    on_request: Callable[[], None] | None = None
    status: int = 200  # what it answers


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(Received(headers=dict(self.headers.items()), body=body))
            if receiver.on_request is not None:
                receiver.on_request()
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/shopify"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
