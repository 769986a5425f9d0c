"""The stores the connector contract runs against: each platform's connector on its sandbox store, behind one
small harness so every contract test is written once (tests/contract/test_connector_contract.py).

A harness sets up what a test needs the way a merchant would (products, stock), lands a sale where the test
says, and counts the connector's calls at the HTTP transport, between connector and store."""

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.manual import ManualConnector, ManualStoreTable
from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.adapters.shopwired.client import ShopWiredREST
from storelink.adapters.shopwired.connector import ShopWiredConnector
from storelink.adapters.shopwired.ids import LOCATION_ID as SHOPWIRED_STOCK
from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.adapters.woocommerce.connector import WooCommerceConnector
from storelink.adapters.woocommerce.ids import LOCATION_ID, Item
from storelink.domain.manual_stores import LOCATION_ID as MANUAL_LOCATION
from storelink.domain.manual_stores import ManualVariant
from storelink.domain.stock import InventoryRef
from storelink.domain.stores import Platform, StoreCredentials
from storelink.ports import StoreConnector
from storelink_local.sandbox import ShopifySandbox, ShopWiredSandbox, WooCommerceSandbox, load_contract_spec

SHOPIFY_TOKEN = "shpat_contract"
CONSUMER_KEY, CONSUMER_SECRET = "ck_contract", "cs_contract"
API_KEY, API_SECRET = "sw_contract_key", "sw_contract_secret"


class Counting(httpx.BaseTransport):
    """Between connector and store: counts requests, and runs `before` ahead of the next one it matches."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []
        self.before: list[tuple[Callable[[httpx.Request], bool], Callable[[], None]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen(request)
        return self._inner.handle_request(request)

    def seen(self, request: httpx.Request) -> None:
        self.requests.append(request)
        for hook in list(self.before):
            matches, run = hook
            if matches(request):
                self.before.remove(hook)
                run()
                break


@dataclass
class StoreUnderTest:
    """One platform's connector and sandbox, in the words the contract needs."""

    platform: Platform
    connector: StoreConnector
    transport: Counting
    # Levels of `count` variants holding `quantity` each.
    stock: Callable[[int, int], list[InventoryRef]]
    available: Callable[[InventoryRef], int]
    # A product with two variants: (SKU, barcode) of each, one without a barcode.
    add_catalogue: Callable[[], set[tuple[str | None, str | None]]]
    # The most levels one read call returns.
    read_page: int
    revoke: Callable[[], None]
    unknown_level: InventoryRef
    unknown_order: str
    # The variant that holds a level (an order line names it).
    variant_of: dict[InventoryRef, str]
    # A buyer's paid order of `units` of the level, landing just before the connector's next write.
    sell_before_next_write: Callable[[InventoryRef, int], None]
    # The tracking the order carries, as the platform shows it to its merchant.
    tracking_of: Callable[[str], str]
    # Whether a compare-and-set write that raced a sale was applied (and the sale given back: WooCommerce, which
    # cannot compare) or refused (Shopify).
    writes_through_a_race: bool
    # The topics subscribed to this address, in the platform's words.
    subscribed: Callable[[str], list[str]]


def shopify_store(schema: GraphQLSchema) -> Iterator[StoreUnderTest]:
    with ShopifySandbox(
        shop_domain="contract.myshopify.com", access_token=SHOPIFY_TOKEN, webhook_secret="secret", schema=schema
    ) as sandbox:
        transport = Counting()
        http = httpx.Client(transport=transport)
        graphql = ShopifyGraphQL(
            api_base_url=sandbox.base_url, access_token=SHOPIFY_TOKEN, http=http, sleep=lambda _: None
        )
        location = sandbox.add_location("Warehouse")
        variant_of: dict[InventoryRef, str] = {}

        def stock(count: int, quantity: int) -> list[InventoryRef]:
            refs = []
            for start in range(0, count, 100):  # a product holds at most 100 variants in the sandbox's admin
                variants = [{"sku": f"SHIRT-{n}"} for n in range(start, min(count, start + 100))]
                product = sandbox.add_product(f"Shirt {start}", variants, stock={location.id: quantity})
                for variant in product.variants:
                    ref = InventoryRef(item_id=variant.inventory_item_id, location_id=location.id)
                    variant_of[ref] = variant.id
                    refs.append(ref)
            return refs

        def sell_before_next_write(level: InventoryRef, units: int) -> None:
            order = [{"variant_id": variant_of[level], "quantity": units}]
            transport.before.append((lambda r: b"mutation" in r.content, lambda: sandbox.place_order(order)))

        def tracking_of(order_id: str) -> str:
            return repr([f.tracking for f in sandbox.order(order_id).fulfillments])

        def add_catalogue() -> set[tuple[str | None, str | None]]:
            variants = [{"sku": "HOODIE-S", "barcode": "0012345678905"}, {"sku": "HOODIE-M", "barcode": None}]
            sandbox.add_product("Hoodie", variants, stock={location.id: 3})
            return {("HOODIE-S", "0012345678905"), ("HOODIE-M", None)}

        yield StoreUnderTest(
            platform=Platform.SHOPIFY,
            connector=ShopifyConnector(graphql, http=http, sleep=lambda _: None),
            transport=transport,
            stock=stock,
            available=lambda level: sandbox.available(level.item_id, level.location_id),
            add_catalogue=add_catalogue,
            read_page=250,
            revoke=sandbox.uninstall_app,
            unknown_level=InventoryRef(item_id="gid://shopify/InventoryItem/999999999", location_id=location.id),
            unknown_order="gid://shopify/Order/999999999",
            variant_of=variant_of,
            sell_before_next_write=sell_before_next_write,
            tracking_of=tracking_of,
            writes_through_a_race=False,
            subscribed=lambda url: [s.topic for s in sandbox.webhook_subscriptions if s.url == url],
        )


def woocommerce_store() -> Iterator[StoreUnderTest]:
    spec = load_contract_spec()
    if spec is None:
        pytest.skip("the WooCommerce contract spec is not there (../shared/contracts)")
    with WooCommerceSandbox(consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, spec=spec) as sandbox:
        transport = Counting()
        rest = WooCommerceREST(
            site_url=sandbox.site_url,
            token=StoreCredentials.of_consumer_key(CONSUMER_KEY, CONSUMER_SECRET, "secret").access_token,
            http=httpx.Client(transport=transport),
        )

        def stock(count: int, quantity: int) -> list[InventoryRef]:
            ids = [sandbox.add_product(f"Shirt {n}", sku=f"SHIRT-{n}", stock=quantity) for n in range(count)]
            return [InventoryRef(item_id=str(product_id), location_id=LOCATION_ID) for product_id in ids]

        def sell_before_next_write(level: InventoryRef, units: int) -> None:
            item = Item.read(level.item_id)
            assert item is not None
            line = {"product_id": item.product_id, "variation_id": item.variation_id or 0, "quantity": units}
            sandbox.before_write(lambda: sandbox.place_order([line]) and None)

        def add_catalogue() -> set[tuple[str | None, str | None]]:
            variations = [
                {"sku": "HOODIE-S", "global_unique_id": "0012345678905", "stock": 3},
                {"sku": "HOODIE-M", "stock": 3},
            ]
            sandbox.add_variable_product("Hoodie", variations)
            return {("HOODIE-S", "0012345678905"), ("HOODIE-M", None)}

        def available(level: InventoryRef) -> int:
            quantity = sandbox.stock(int(level.item_id.rsplit("/", 1)[-1]))
            assert quantity is not None
            return quantity

        yield StoreUnderTest(
            platform=Platform.WOOCOMMERCE,
            connector=WooCommerceConnector(rest, shop_domain="contract.example", webhook_secret="secret"),
            transport=transport,
            stock=stock,
            available=available,
            add_catalogue=add_catalogue,
            read_page=100,
            revoke=sandbox.revoke_keys,
            unknown_level=InventoryRef(item_id="999999", location_id=LOCATION_ID),
            unknown_order="999999",
            variant_of=_ItemIsVariant(),
            sell_before_next_write=sell_before_next_write,
            tracking_of=lambda order_id: "\n".join(sandbox.order_notes(int(order_id))),
            writes_through_a_race=True,
            subscribed=lambda url: [w.topic for w in sandbox.webhooks if w.delivery_url == url],
        )


def shopwired_store() -> Iterator[StoreUnderTest]:
    with ShopWiredSandbox(api_key=API_KEY, api_secret=API_SECRET, webhook_secret="secret") as sandbox:
        transport = Counting()
        rest = ShopWiredREST(
            sandbox.api_url, API_KEY, API_SECRET, http=httpx.Client(transport=transport), sleep=lambda _: None
        )
        variant_of: dict[InventoryRef, str] = {}

        def stock(count: int, quantity: int) -> list[InventoryRef]:
            levels = []
            for n in range(count):
                product = sandbox.add_product(f"Shirt {n}", sku=f"SHIRT-{n}", stock=quantity)
                level = InventoryRef(item_id=f"SHIRT-{n}", location_id=SHOPWIRED_STOCK)
                variant_of[level] = str(product.id)
                levels.append(level)
            return levels

        def sell_before_next_write(level: InventoryRef, units: int) -> None:
            line = {"sku": level.item_id, "quantity": units}
            sandbox.before_write(lambda: sandbox.place_order([line]) and None, path="/stock")

        def add_catalogue() -> set[tuple[str | None, str | None]]:
            variations = [{"sku": "HOODIE-S", "gtin": "0012345678905", "stock": 3}, {"sku": "HOODIE-M", "stock": 3}]
            sandbox.add_product("Hoodie", variations=variations)
            return {("HOODIE-S", "0012345678905"), ("HOODIE-M", None)}

        yield StoreUnderTest(
            platform=Platform.SHOPWIRED,
            connector=ShopWiredConnector(rest, shop_domain="contract.shopwired.example"),
            transport=transport,
            stock=stock,
            available=lambda level: sandbox.stock(level.item_id),
            add_catalogue=add_catalogue,
            # Levels are read by the products' pages (of 100) beyond a few SKUs; stock is written 15 a call.
            read_page=100,
            revoke=sandbox.revoke_access,
            unknown_level=InventoryRef(item_id="NO-SUCH-SKU", location_id=SHOPWIRED_STOCK),
            unknown_order="999999",
            variant_of=variant_of,
            sell_before_next_write=sell_before_next_write,
            tracking_of=lambda order_id: str(sandbox.order(int(order_id))["trackingUrl"]),
            writes_through_a_race=True,
            subscribed=lambda url: [w.topic for w in sandbox.webhooks if w.url == url],
        )


def manual_store() -> Iterator[StoreUnderTest]:
    """A manual store on its DynamoDB table (moto server): the connector's calls are counted at botocore, the
    store's own transport, and a buyer's sale is what its merchant enters by hand (another client's write)."""
    store_id = f"st_manual_{uuid.uuid4().hex[:8]}"
    table_name = os.environ["MANUAL_STORES_TABLE_NAME"]
    transport = Counting()
    client_table = boto3.session.Session().resource("dynamodb").Table(table_name)

    def count(model: Any, **_: Any) -> None:
        transport.seen(httpx.Request("POST", f"https://dynamodb.local/{model.name}"))

    client_table.meta.client.meta.events.register("before-call.dynamodb", count)
    data = ManualStoreTable(client_table, store_id)
    merchant = ManualStoreTable(boto3.session.Session().resource("dynamodb").Table(table_name), store_id)
    merchant.open("Contract stall", "EUR")
    now = datetime.now(UTC)

    def add(variants: list[ManualVariant]) -> None:
        for start in range(0, len(variants), 90):
            merchant.write(new_variants=variants[start : start + 90], at=now)

    def stock(count: int, quantity: int) -> list[InventoryRef]:
        variants = [
            ManualVariant(
                variant_id=f"v-{n}",
                product_id="p-shirt",
                product_title="Shirt",
                title=str(n),
                sku=f"SHIRT-{n}",
                available=quantity,
            )
            for n in range(count)
        ]
        add(variants)
        return [variant.level for variant in variants]

    def sell_before_next_write(level: InventoryRef, units: int) -> None:
        def sell() -> None:
            variant = merchant.variants([level.item_id])[level.item_id]
            sold = variant.model_copy(update={"available": variant.available - units, "version": variant.version + 1})
            merchant.write(variants=[(sold, variant.version)], at=datetime.now(UTC))

        transport.before.append((lambda r: r.url.path == "/TransactWriteItems", sell))

    def add_catalogue() -> set[tuple[str | None, str | None]]:
        add(
            [
                ManualVariant(
                    variant_id="v-hs",
                    product_id="p-hoodie",
                    product_title="Hoodie",
                    title="S",
                    sku="HOODIE-S",
                    barcode="0012345678905",
                    available=3,
                ),
                ManualVariant(
                    variant_id="v-hm",
                    product_id="p-hoodie",
                    product_title="Hoodie",
                    title="M",
                    sku="HOODIE-M",
                    available=3,
                ),
            ]
        )
        return {("HOODIE-S", "0012345678905"), ("HOODIE-M", None)}

    def tracking_of(order_id: str) -> str:
        return repr([shipment.tracking for shipment in merchant.order(order_id).shipments])

    yield StoreUnderTest(
        platform=Platform.MANUAL,
        connector=ManualConnector(data, shop_domain="contract-stall.manual"),
        transport=transport,
        stock=stock,
        available=lambda level: merchant.variants([level.item_id])[level.item_id].available,
        add_catalogue=add_catalogue,
        read_page=99,
        revoke=merchant.close,
        unknown_level=InventoryRef(item_id="v-none", location_id=MANUAL_LOCATION),
        unknown_order="o-none",
        variant_of=_ItemIsVariant(),
        sell_before_next_write=sell_before_next_write,
        tracking_of=tracking_of,
        writes_through_a_race=False,
        subscribed=lambda url: [topic for topic, at in merchant.subscriptions().items() if at == url],
    )


class _ItemIsVariant(dict[InventoryRef, str]):
    """On WooCommerce (and in a manual store) the product or variation holding the stock is the variant itself."""

    def __missing__(self, level: InventoryRef) -> str:
        return level.item_id


@pytest.fixture(params=[Platform.SHOPIFY, Platform.WOOCOMMERCE, Platform.SHOPWIRED, Platform.MANUAL], ids=str)
def store(request: pytest.FixtureRequest) -> Iterator[StoreUnderTest]:
    if request.param is Platform.SHOPIFY:
        yield from shopify_store(request.getfixturevalue("contract_schema"))
    elif request.param is Platform.SHOPWIRED:
        yield from shopwired_store()
    elif request.param is Platform.MANUAL:
        request.getfixturevalue("runtime")  # moto server with template.yaml's tables
        yield from manual_store()
    else:
        yield from woocommerce_store()
