"""Two sandbox Shopify stores linked source → destination through the management API of the local runtime.

The demo and the end-to-end tests start from this story: each store registers (storelink checks its
credentials and subscribes its webhooks), the source asks to link with the destination's verification
code, the destination grants. Draining the runtime then runs the grant's catalogue import, which
matches the shirt by SKU (callers drain when their story is ready for it).
"""

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
import httpx
from graphql import GraphQLSchema

from storelink.adapters.dynamodb import DynamoDbStores
from storelink.adapters.manual import ManualStoreTable
from storelink.adapters.shopwired.ids import LOCATION_ID as SHOPWIRED_LOCATION
from storelink.adapters.woocommerce.ids import LOCATION_ID as WOOCOMMERCE_LOCATION
from storelink.domain.links import Link
from storelink.domain.manual_stores import LOCATION_ID as MANUAL_LOCATION
from storelink.domain.stock import InventoryRef
from storelink.domain.stores import Store
from storelink.settings import LinksTable, ManualStoresTable
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox, ShopWiredSandbox, WooCommerceSandbox
from storelink_local.sandbox.clock import Clock, system_clock
from storelink_local.sandbox.shopify_scopes import DEFAULT_SCOPES
from storelink_local.sandbox.shopwired_shops import ShopWiredShop, shopwired_shop
from storelink_local.sandbox.woocommerce_shops import WooCommerceShop, woocommerce_shop

SKU = "LINEN-SHIRT-M"


@dataclass(frozen=True)
class LinkedShop:
    store: Store
    sandbox: ShopifySandbox
    level: InventoryRef
    variant_id: str
    # Issued by storelink at registration, shown once: the store's key to the management API.
    api_token: str

    @property
    def available(self) -> int:
        return self.sandbox.available(self.level.item_id, self.level.location_id)


@dataclass(frozen=True)
class LinkedWooCommerceShop:
    """A sandbox WooCommerce store registered with storelink, holding the shirt as a simple product."""

    store: Store
    shop: WooCommerceShop
    level: InventoryRef
    api_token: str

    @property
    def sandbox(self) -> WooCommerceSandbox:
        return self.shop.sandbox

    @property
    def product_id(self) -> int:
        return self.shop.product_id

    @property
    def available(self) -> int:
        return self.shop.available or 0


@dataclass(frozen=True)
class LinkedShopWiredAccount:
    """A sandbox ShopWired account registered with storelink, holding the shirt as a product without variations."""

    store: Store
    shop: ShopWiredShop
    level: InventoryRef
    api_token: str

    @property
    def sandbox(self) -> ShopWiredSandbox:
        return self.shop.sandbox

    @property
    def available(self) -> int:
        return self.shop.available


@dataclass(frozen=True)
class LinkedManualStore:
    """A manual (offline) store kept by storelink itself, registered with its name, holding the shirt."""

    store: Store
    level: InventoryRef
    variant_id: str
    api_token: str

    @property
    def available(self) -> int:
        table = boto3.resource("dynamodb").Table(ManualStoresTable.from_env().manual_stores_table_name)
        return ManualStoreTable(table, self.store.store_id).variants([self.variant_id])[self.variant_id].available


class LinkParty(Protocol):
    """What linking needs of a registered store, whatever its platform."""

    @property
    def store(self) -> Store: ...

    @property
    def level(self) -> InventoryRef: ...

    @property
    def api_token(self) -> str: ...


@dataclass(frozen=True)
class LinkedStores:
    source: LinkedShop
    destination: LinkedShop
    link: Link


class ManagementApi:
    """The management API as a merchant's script calls it: JSON over HTTP with a store's token."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self._url = runtime.api_url

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = httpx.request(method, f"{self._url}{path}", headers=headers, json=body, timeout=30)
        if answer.is_error:
            raise RuntimeError(f"{method} {path} answered {answer.status_code}: {answer.text}")
        return answer.json()


def registered_shop(
    api: ManagementApi,
    shop_name: str,
    domain: str,
    schema: GraphQLSchema,
    available: int,
    stack: ExitStack,
    *,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    dev_dashboard_app: bool = False,
    clock: Clock = system_clock,
) -> tuple[LinkedShop, str]:
    """A sandbox store holding `available` of the shirt, registered with storelink (its server stops with
    `stack`) with the app granted `scopes`; returns it and its verification code. A legacy custom app
    registers its access token and webhook secret; a `dev_dashboard_app` its client id and secret."""
    access_token, webhook_secret = f"shpat_{domain.partition('.')[0]}", f"{domain}-webhook-secret"
    secrets = {"access_token": access_token, "webhook_secret": webhook_secret}
    sandbox = stack.enter_context(
        ShopifySandbox(
            shop_domain=domain,
            shop_name=shop_name,
            schema=schema,
            access_token=access_token,
            webhook_secret=webhook_secret,
            scopes=scopes,
            clock=clock,
        )
    )
    if dev_dashboard_app:
        secrets = {"client_id": f"{domain}-client", "client_secret": f"{domain}-client-secret"}
        sandbox.install_dev_dashboard_app(secrets["client_id"], secrets["client_secret"])
    location = sandbox.add_location("Warehouse")
    product = sandbox.add_product("Linen shirt", [{"sku": SKU, "barcode": None}], stock={location.id: available})
    registered = api.call(
        "POST",
        "/stores",
        body={"platform": "shopify", "shop_domain": domain, "api_base_url": sandbox.base_url, **secrets},
    )
    store = _stored(registered["store"]["store_id"])
    level = InventoryRef(item_id=product.variants[0].inventory_item_id, location_id=location.id)
    issued = registered["issued"]
    shop = LinkedShop(store, sandbox, level, product.variants[0].id, issued["api_token"])
    return shop, issued["verification_code"]


def registered_woocommerce_shop(
    api: ManagementApi,
    shop_name: str,
    available: int,
    stack: ExitStack,
    *,
    clock: Clock = system_clock,
    **knobs: Any,
) -> tuple[LinkedWooCommerceShop, str]:
    """A sandbox WooCommerce store holding `available` of the shirt (`knobs` as WooCommerceSandbox takes them),
    registered with storelink with its REST API key (storelink checks it and creates its webhooks); returns it
    and its verification code."""
    shop = woocommerce_shop(shop_name, available, stack, clock=clock, sku=SKU, **knobs)
    registered = api.call("POST", "/stores", body=shop.registration(shop_name))
    level = InventoryRef(item_id=str(shop.product_id), location_id=WOOCOMMERCE_LOCATION)
    issued = registered["issued"]
    store = _stored(registered["store"]["store_id"])
    return LinkedWooCommerceShop(store, shop, level, issued["api_token"]), issued["verification_code"]


def registered_shopwired_account(
    api: ManagementApi,
    name: str,
    available: int,
    stack: ExitStack,
    *,
    clock: Clock = system_clock,
    **knobs: Any,
) -> tuple[LinkedShopWiredAccount, str]:
    """A sandbox ShopWired account holding `available` of the shirt (`knobs` as ShopWiredSandbox takes them),
    registered with storelink with its API key, API secret and webhook secret (seed 004's three); returns it and
    its verification code."""
    shop = shopwired_shop(name, available, stack, clock=clock, sku=SKU, **knobs)
    registered = api.call("POST", "/stores", body=shop.registration(name))
    issued = registered["issued"]
    store = _stored(registered["store"]["store_id"])
    level = InventoryRef(item_id=SKU, location_id=SHOPWIRED_LOCATION)
    return LinkedShopWiredAccount(store, shop, level, issued["api_token"]), issued["verification_code"]


# A market stall's catalogue: the shirt every sandbox store sells, and two products only it has.
STALL_PRODUCTS = (
    {"title": "Linen shirt", "variants": [{"title": "M", "sku": SKU}]},
    {"title": "Canvas tote", "variants": [{"title": "Natural", "sku": "CANVAS-TOTE", "stock": 8}]},
    {"title": "Wool scarf", "variants": [{"title": "Grey", "sku": "WOOL-SCARF-GREY", "stock": 3}]},
)


def registered_manual_store(
    api: ManagementApi, name: str, available: int, *, currency: str = "EUR"
) -> tuple[LinkedManualStore, str]:
    """A manual store registered with its name alone and given STALL_PRODUCTS through the management API, with
    `available` of the shirt; returns it and its verification code."""
    registered = api.call("POST", "/stores", body={"platform": "manual", "name": name, "currency": currency})
    issued, store_id = registered["issued"], registered["store"]["store_id"]
    shirt = None
    for product in STALL_PRODUCTS:
        if product["title"] == "Linen shirt":
            product = {"title": "Linen shirt", "variants": [{"title": "M", "sku": SKU, "stock": available}]}
        added = api.call("POST", f"/stores/{store_id}/products", issued["api_token"], product)
        shirt = shirt or next((v for v in added["variants"] if v["sku"] == SKU), None)
    assert shirt is not None
    level = InventoryRef(item_id=shirt["variant_id"], location_id=MANUAL_LOCATION)
    store = LinkedManualStore(_stored(store_id), level, shirt["variant_id"], issued["api_token"])
    return store, issued["verification_code"]


def _stored(store_id: str) -> Store:
    store = DynamoDbStores(boto3.resource("dynamodb").Table(LinksTable.from_env().links_table_name)).get(store_id)
    assert store is not None, "the store just registered"
    return store


@contextmanager
def linked_stores(
    runtime: LocalRuntime,
    schema: GraphQLSchema,
    *,
    available: int = 12,
    names: tuple[str, str] = ("lumen-main", "lumen-outlet"),
) -> Iterator[LinkedStores]:
    """A source and a destination, both holding `available` of one shirt, linked and mapped by SKU.

    `names` make the shop domains; registering a shop twice in one runtime is refused, so vary them."""
    api = ManagementApi(runtime)
    with ExitStack() as stack:
        source, _ = registered_shop(api, "Lumen (main store)", f"{names[0]}.myshopify.com", schema, available, stack)
        destination, code = registered_shop(api, "Lumen Outlet", f"{names[1]}.myshopify.com", schema, available, stack)
        link = link_shops(api, source, destination, code, channel_name="Lumen Outlet")
        yield LinkedStores(source, destination, link)


def link_shops(
    api: ManagementApi, source: LinkParty, destination: LinkParty, destination_code: str, *, channel_name: str
) -> Link:
    """The source asks to link with the destination's verification code, its warehouse to the destination's;
    the destination grants."""
    requested = api.call(
        "POST",
        "/links",
        source.api_token,
        {
            "verification_code": destination_code,
            "channel_name": channel_name,
            "locations": {source.level.location_id: destination.level.location_id},
        },
    )
    return Link.model_validate(api.call("POST", f"/links/{requested['link_id']}/grant", destination.api_token))
