"""A sandbox Shopify store: a local HTTP server that answers the Admin GraphQL API like Shopify does.

It executes every document against the Admin API contract schema (../shared/contracts), so it refuses
what Shopify refuses, keeps the shop's data in memory, and delivers signed webhooks. Tests and the
local runtime drive the merchant's side through its Python methods (add_product, set_available, ...).
"""

import functools
import hmac
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from graphql import GraphQLSchema, build_schema

from storelink_local.sandbox.shopify_cost import CostBucket
from storelink_local.sandbox.shopify_graphql import ShopifyGraphQL
from storelink_local.sandbox.shopify_store import InventoryLevel, Location, Product, Shop, ShopifyStore, legacy_id
from storelink_local.sandbox.shopify_webhooks import INVENTORY_LEVELS_UPDATE, WebhookDelivery, WebhookDispatcher

SHOPIFY_API_VERSION = "2026-07"
SCHEMA_ENV = "STORELINK_SHOPIFY_SCHEMA"
CONTRACT_FILE = "shopify-admin-2026-07.derived.graphql"
GRAPHQL_PATH = f"/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
# Shopify reports webhook times in the shop's zone; a non-UTC offset catches clients that assume "Z".
SHOP_UTC_OFFSET = timezone(timedelta(hours=-5))

_log = logging.getLogger(__name__)
_INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
_NOT_FOUND = {"errors": "Not Found"}
_BAD_BODY = {"errors": {"query": "Required parameter missing or invalid"}}


def contract_schema_path() -> Path | None:
    """$STORELINK_SHOPIFY_SCHEMA, else <repository>/../shared/contracts/<contract file>."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        return Path(override)
    for directory in Path(__file__).resolve().parents:
        if (directory / "pyproject.toml").is_file():
            return directory.parent / "shared" / "contracts" / CONTRACT_FILE
    return None


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


class ShopifySandbox:
    """One shop, served at `graphql_url` while started (or inside a `with` block)."""

    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str,
        webhook_secret: str,
        shop_name: str | None = None,
        schema: GraphQLSchema | None = None,
    ) -> None:
        schema = schema if schema is not None else load_contract_schema()
        if schema is None:
            raise RuntimeError(f"the Shopify contract schema is missing: expected at {contract_schema_path()}")
        self._access_token = access_token
        self._store = ShopifyStore(shop_domain, shop_name or shop_domain.partition(".")[0])
        self._graphql = ShopifyGraphQL(schema, self._store, CostBucket())
        self._webhooks = WebhookDispatcher(shop_domain, webhook_secret, SHOPIFY_API_VERSION)
        self._documents_lock = threading.Lock()
        self._documents: list[ReceivedDocument] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the sandbox is already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.sandbox = self
        self._server = server
        # A short poll interval keeps stop() (and so each test's teardown) from waiting half a second.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="shopify-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}{GRAPHQL_PATH}"

    # -- what tests observe -----------------------------------------------------------------------

    @property
    def shop(self) -> Shop:
        return self._store.shop

    @property
    def received_documents(self) -> list[ReceivedDocument]:
        with self._documents_lock:
            return list(self._documents)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhooks.deliveries

    def subscribe_webhook(self, topic: str, url: str) -> None:
        self._webhooks.subscribe(topic, url)

    def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Sends a recorded delivery again, unchanged: what Shopify's retries look like to a receiver."""
        return self._webhooks.redeliver(delivery)

    # -- the merchant, in the Shopify admin -------------------------------------------------------

    def add_location(self, name: str) -> Location:
        return self._store.add_location(name)

    def add_product(
        self,
        title: str,
        variants: Iterable[Mapping[str, object]],
        stock: Mapping[str | int, int] | None = None,
    ) -> Product:
        """Variants as {"sku", "barcode", "tracked", "title"}; each is stocked at the `stock` locations."""
        return self._store.add_product(title, variants, stock or {})

    def set_available(self, inventory_item_id: str | int, location_id: str | int, quantity: int) -> None:
        level = self._store.set_available(inventory_item_id, location_id, quantity)
        if level is not None:
            self._notify([level])

    def available(self, inventory_item_id: str | int, location_id: str | int) -> int:
        return self._store.available(inventory_item_id, location_id)

    # -- serving ----------------------------------------------------------------------------------

    def _serve(self, path: str, token: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        if urlsplit(path).path != GRAPHQL_PATH:
            return 404, _NOT_FOUND
        if token is None or not hmac.compare_digest(token.encode(), self._access_token.encode()):
            return 401, _INVALID_TOKEN
        document = _document(body)
        if document is None:
            return 400, _BAD_BODY
        with self._documents_lock:
            self._documents.append(document)
        outcome = self._graphql.execute(document.query, document.variables, document.operation_name)
        # Before answering, so the caller finds the deliveries done when its request returns.
        self._notify(outcome.changed_levels)
        return 200, outcome.body

    def _notify(self, levels: Iterable[InventoryLevel]) -> None:
        for level in levels:
            payload = {
                "inventory_item_id": legacy_id(level.inventory_item_id),
                "location_id": legacy_id(level.location_id),
                "available": level.quantities["available"],
                "updated_at": level.updated_at.astimezone(SHOP_UTC_OFFSET).isoformat(timespec="seconds"),
                "admin_graphql_api_id": level.id,
            }
            self._webhooks.publish(INVENTORY_LEVELS_UPDATE, payload)


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: ShopifySandbox


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            status, payload = self.server.sandbox._serve(self.path, self.headers.get("X-Shopify-Access-Token"), body)
        except Exception as error:  # a sandbox bug: answer, and say what broke, rather than hang up
            _log.exception("the Shopify sandbox failed on %s", self.path)
            status, payload = 500, {"errors": f"Internal Server Error: {type(error).__name__}: {error}"}
        self._answer(status, payload)

    def do_GET(self) -> None:
        self._answer(404, _NOT_FOUND)

    def _answer(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Shopify-API-Version", SHOPIFY_API_VERSION)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on recorded documents, not on access logs."""
