"""Two sandbox Shopify stores linked source → destination, registered in the local runtime.

The demo, `make dev` and the end-to-end tests all start from this story. Stores, the link and the
SKU map are written straight into the tables until the linking and mapping capabilities exist.
"""

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import boto3
from graphql import GraphQLSchema

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbSkuMaps, DynamoDbStores
from storelink.domain.links import Link, LinkStatus, SkuMapEntry, StockRules
from storelink.domain.stock import InventoryRef
from storelink.domain.stores import Platform, Store
from storelink.settings import StockWorkerSettings
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox

SKU = "LINEN-SHIRT-M"


@dataclass(frozen=True)
class LinkedShop:
    store: Store
    sandbox: ShopifySandbox
    level: InventoryRef

    @property
    def available(self) -> int:
        return self.sandbox.available(self.level.item_id, self.level.location_id)


@dataclass(frozen=True)
class LinkedStores:
    source: LinkedShop
    destination: LinkedShop
    link: Link


def save_store(store_id: str, shop_domain: str, api_base_url: str, *, access_token: str, webhook_secret: str) -> Store:
    """What registering a store stores: its secrets in Secrets Manager, only their name in the table."""
    settings = StockWorkerSettings.from_env()
    store = Store(
        store_id=store_id,
        platform=Platform.SHOPIFY,
        shop_domain=shop_domain,
        api_base_url=api_base_url,
        secret_name=f"{settings.store_secrets_prefix}{store_id}",
    )
    boto3.client("secretsmanager").create_secret(
        Name=store.secret_name,
        SecretString=json.dumps({"access_token": access_token, "webhook_secret": webhook_secret}),
    )
    DynamoDbStores(boto3.resource("dynamodb").Table(settings.links_table_name)).add(store)
    return store


def _stocked_shop(
    runtime: LocalRuntime, store_id: str, name: str, schema: GraphQLSchema, available: int, stack: ExitStack
) -> LinkedShop:
    secrets = {"access_token": f"shpat_{store_id}", "webhook_secret": f"{store_id}-webhook-secret"}
    sandbox = stack.enter_context(
        ShopifySandbox(shop_domain=f"{store_id}.myshopify.com", shop_name=name, schema=schema, **secrets)
    )
    location = sandbox.add_location("Warehouse")
    product = sandbox.add_product("Linen shirt", [{"sku": SKU, "barcode": None}], stock={location.id: available})
    store = save_store(store_id, sandbox.shop.myshopify_domain, sandbox.base_url, **secrets)
    sandbox.subscribe_webhook("inventory_levels/update", f"{runtime.api_url}/webhooks/shopify/{store_id}")
    return LinkedShop(
        store, sandbox, InventoryRef(item_id=product.variants[0].inventory_item_id, location_id=location.id)
    )


@contextmanager
def linked_stores(runtime: LocalRuntime, schema: GraphQLSchema, *, available: int = 12) -> Iterator[LinkedStores]:
    """A source and a destination, both holding `available` of one shirt, linked and mapped by SKU."""
    with ExitStack() as stack:
        source = _stocked_shop(runtime, "lumen-main", "Lumen (main store)", schema, available, stack)
        destination = _stocked_shop(runtime, "lumen-outlet", "Lumen Outlet", schema, available, stack)
        link = Link(
            link_id="lumen-main--lumen-outlet",
            source_store_id=source.store.store_id,
            destination_store_id=destination.store.store_id,
            status=LinkStatus.CONNECTED,
            locations={source.level.location_id: destination.level.location_id},
            stock=StockRules(),
        )
        settings = StockWorkerSettings.from_env()
        DynamoDbLinks(boto3.resource("dynamodb").Table(settings.links_table_name)).add(link)
        DynamoDbSkuMaps(boto3.resource("dynamodb").Table(settings.sku_maps_table_name)).add(
            SkuMapEntry(
                link_id=link.link_id,
                source_item_id=source.level.item_id,
                destination_item_id=destination.level.item_id,
                sku=SKU,
            )
        )
        yield LinkedStores(source, destination, link)
