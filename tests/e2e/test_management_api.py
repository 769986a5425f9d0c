"""The management API through the local runtime, against sandbox Shopify stores: registration and the
authorisation matrix (every endpoint by owner, other party, stranger, no token, bad token)."""

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from graphql import GraphQLSchema

from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox
from tests.management_api import openapi_description

pytestmark = pytest.mark.contract


@dataclass
class Registered:
    store_id: str
    token: str
    code: str
    location: str
    sandbox: ShopifySandbox
    sandbox_token: str


class Api:
    def __init__(self, runtime: LocalRuntime, schema: GraphQLSchema, stack: ExitStack) -> None:
        self.url = runtime.api_url
        self._schema = schema
        self._stack = stack

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Registering checks credentials with the store and subscribes its webhooks: several store calls, which
        # can outlast httpx's default 5 s on a loaded machine.
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def register(self, name: str) -> Registered:
        # Unique per test: the runtime, and the stores registered in it, last the whole module.
        name = f"{name}-{uuid.uuid4().hex[:8]}"
        secrets = {"access_token": f"shpat_{name}", "webhook_secret": f"{name}-secret"}
        sandbox = self._stack.enter_context(
            ShopifySandbox(shop_domain=f"{name}.myshopify.com", schema=self._schema, **secrets)
        )
        location = sandbox.add_location("Warehouse").id
        answer = self.call(
            "POST",
            "/stores",
            json={
                "platform": "shopify",
                "shop_domain": f"{name}.myshopify.com",
                "api_base_url": sandbox.base_url,
                **secrets,
            },
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        return Registered(
            body["store"]["store_id"],
            body["issued"]["api_token"],
            body["issued"]["verification_code"],
            location,
            sandbox,
            secrets["access_token"],
        )

    def request_link(self, source: Registered, destination: Registered) -> str:
        answer = self.call(
            "POST",
            "/links",
            source.token,
            json={
                "verification_code": destination.code,
                "channel_name": "Outlet",
                "locations": {source.location: destination.location},
            },
        )
        assert answer.status_code == 201, answer.text
        link_id: str = answer.json()["link_id"]
        return link_id


@pytest.fixture
def api(runtime: LocalRuntime, contract_schema: GraphQLSchema) -> Iterator[Api]:
    with ExitStack() as stack:
        yield Api(runtime, contract_schema, stack)


def test_registration_checks_with_the_platform_registers_webhooks_and_shows_secrets_once(api: Api) -> None:
    # When a store registers
    store = api.register("reg-shop")
    # Then storelink subscribed its webhooks with the store, and the store reads itself back without secrets
    topics = {subscription.topic for subscription in store.sandbox.webhook_subscriptions}
    assert {"INVENTORY_LEVELS_UPDATE", "ORDERS_CREATE", "APP_UNINSTALLED"} <= {
        str(t).upper().replace("/", "_") for t in topics
    }
    body = api.call("GET", f"/stores/{store.store_id}", store.token).json()
    assert body["shop_domain"].startswith("reg-shop-")
    assert store.token not in str(body)
    assert store.code not in str(body)


def test_the_same_shop_twice_is_refused_naming_the_existing_store(api: Api) -> None:
    first = api.register("dup-shop")
    answer = api.call(
        "POST",
        "/stores",
        json={
            "platform": "shopify",
            "shop_domain": first.sandbox.shop.myshopify_domain,
            "access_token": first.sandbox_token,
            "webhook_secret": "other",
            "api_base_url": first.sandbox.base_url,
        },
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["details"] == {"existing_store_id": first.store_id}


def test_refused_credentials_keep_nothing(api: Api) -> None:
    store = api.register("cred-shop")
    answer = api.call(
        "POST",
        "/stores",
        json={
            "platform": "shopify",
            "shop_domain": store.sandbox.shop.myshopify_domain,
            "access_token": "shpat_wrong",
            "webhook_secret": "s",
            "api_base_url": store.sandbox.base_url,
        },
    )
    assert answer.status_code == 422
    assert "refused these credentials" in answer.json()["error"]["message"]


@dataclass
class World:
    api: Api
    source: Registered
    destination: Registered
    stranger: Registered
    link_id: str


@pytest.fixture
def world(api: Api) -> World:
    source, destination, stranger = (api.register(name) for name in ("m-source", "m-destination", "m-stranger"))
    return World(api, source, destination, stranger, api.request_link(source, destination))


def connected(world: World) -> None:
    assert world.api.call("POST", f"/links/{world.link_id}/grant", world.destination.token).status_code == 200


# endpoint: (method, path, body, who owns it, prepare) — "owner" is the party whose verb it is.
ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None, str, Callable[[World], None] | None]] = {
    "get store": ("GET", "/stores/{source}", None, "source", None),
    "rotate verification code": ("POST", "/stores/{source}/verification-code", None, "source", None),
    "rotate api token": ("POST", "/stores/{source}/api-token", None, "source", None),
    "remove store": ("DELETE", "/stores/{source}", None, "source", None),
    "get link": ("GET", "/links/{link}", None, "source", None),
    "link history": ("GET", "/links/{link}/history", None, "destination", None),
    "change stock settings": ("PATCH", "/links/{link}", {"stock": {"buffer": 1}}, "source", None),
    "change order settings": ("PATCH", "/links/{link}", {"identifier": "barcode"}, "destination", None),
    "grant": ("POST", "/links/{link}/grant", None, "destination", None),
    "deny": ("POST", "/links/{link}/deny", None, "destination", None),
    "block": ("POST", "/links/{link}/block", None, "source", connected),
    "disconnect": ("POST", "/links/{link}/disconnect?option=keep_products_zero_stock", None, "destination", connected),
}
# Reads are open to both parties; a store's own record and every verb only to its owner.
READABLE_BY_BOTH = {"get link", "link history"}
OK = {"GET": 200, "PATCH": 200, "POST": 200, "DELETE": 204}
CREATES = {"rotate verification code", "rotate api token"}


def expected_status(endpoint: str, caller: str) -> int:
    method, path, _, owner, _ = ENDPOINTS[endpoint]
    if caller in ("no token", "bad token"):
        return 401
    if caller == "stranger" or (path.startswith("/stores") and caller != owner):
        return 404  # not a party: as if it did not exist
    if caller == owner or endpoint in READABLE_BY_BOTH:
        return 201 if endpoint in CREATES else OK[method]
    return 403  # the other party's verb


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_authorisation_matrix(world: World, endpoint: str) -> None:
    # Given a link from source to destination, and the endpoint's state
    method, path, body, owner, prepare = ENDPOINTS[endpoint]
    if prepare:
        prepare(world)
    other = "destination" if owner == "source" else "source"
    tokens = {
        "source": world.source.token,
        "destination": world.destination.token,
        "stranger": world.stranger.token,
        "no token": None,
        "bad token": f"sl_{world.source.store_id}.not-the-token",
    }
    url = path.format(source=world.source.store_id, link=world.link_id)
    # When each caller calls it, the owner last (refused calls must change nothing for the owner's to work)
    for caller in ("no token", "bad token", "stranger", other, owner):
        answer = world.api.call(method, url, tokens[caller], json=body)
        # Then the answer is the one its role allows, with storelink's error body when refused
        assert answer.status_code == expected_status(endpoint, caller), f"{caller}: {answer.text}"
        if answer.status_code >= 400:
            assert set(answer.json()["error"]) >= {"code", "message"}


def test_a_stranger_lists_none_of_the_links_of_others(world: World) -> None:
    listed = world.api.call("GET", "/links", world.stranger.token).json()
    assert listed == {"links": [], "next_cursor": None}
    mine = world.api.call("GET", "/links", world.destination.token).json()["links"]
    assert [link["link_id"] for link in mine] == [world.link_id]


def test_the_whole_lifecycle_is_recorded(world: World) -> None:
    api, link = world.api, world.link_id
    for token, action in (
        (world.destination.token, "grant"),
        (world.source.token, "block"),
        (world.source.token, "unblock"),
        (world.destination.token, "disconnect?option=keep_products"),
        (world.destination.token, "reconnect"),
    ):
        assert api.call("POST", f"/links/{link}/{action}", token).status_code == 200
    history = api.call("GET", f"/links/{link}/history", world.source.token).json()["transitions"]
    assert [(t["to_status"], t["by_store_id"]) for t in history] == [
        ("pending", world.source.store_id),
        ("connected", world.destination.store_id),
        ("blocked", world.source.store_id),
        ("connected", world.source.store_id),
        ("disconnected", world.destination.store_id),
        ("connected", world.destination.store_id),
    ]
    again = api.call("POST", f"/links/{link}/reconnect", world.destination.token)
    assert (again.status_code, again.json()["error"]["details"]) == (409, {"current_status": "connected"})


def test_history_comes_a_page_at_a_time(world: World) -> None:
    connected(world)
    first = world.api.call("GET", f"/links/{world.link_id}/history?limit=1", world.source.token).json()
    rest = world.api.call(
        "GET", f"/links/{world.link_id}/history?limit=5&cursor={first['next_cursor']}", world.source.token
    ).json()
    assert [t["to_status"] for t in first["transitions"] + rest["transitions"]] == ["pending", "connected"]


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", "bm90IGpzb24", "eyJwayI6ICJMSU5LI3gifQ", "eyJwayI6ICJMSU5LI3gifQ.AAAAAAAAAAAAAAAAAAAAAA"],
    ids=["not base64", "not JSON", "an unsealed position", "a forged seal"],
)
def test_a_cursor_no_page_gave_is_a_400_naming_it(world: World, cursor: str) -> None:
    # Given a link with history, When a page is asked with a cursor storelink did not give
    connected(world)
    answer = world.api.call("GET", f"/links/{world.link_id}/history?limit=1&cursor={cursor}", world.source.token)
    # Then a 400 with storelink's error body says the cursor is not one of this listing's
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"], ids=str
)
def test_a_body_that_is_not_json_is_a_415_in_storelinks_error_body(world: World, content_type: str) -> None:
    # When a registration is sent as text or a form (a multipart one without its boundary too)
    answer = httpx.post(f"{world.api.url}/stores", content=b"platform=shopify", headers={"Content-Type": content_type})
    # Then the answer is 415 with the one error body every 4xx has
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"


def test_a_cursor_works_only_for_the_store_and_listing_that_got_it(world: World) -> None:
    # Given a cursor the source got for its link's history
    connected(world)
    first = world.api.call("GET", f"/links/{world.link_id}/history?limit=1", world.source.token).json()
    cursor = first["next_cursor"]
    # When the other party, or another listing, hands it back, Then each is refused with 400
    other_party = world.api.call(
        "GET", f"/links/{world.link_id}/history?limit=1&cursor={cursor}", world.destination.token
    )
    other_listing = world.api.call(
        "GET", f"/links/{world.link_id}/oversells?limit=1&cursor={cursor}", world.source.token
    )
    assert (other_party.status_code, other_listing.status_code) == (400, 400)


def test_no_secret_is_kept_in_any_table_item(world: World) -> None:
    # Given three registered stores and a link, When every item of the links table is read
    table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    items = json.dumps(table.scan()["Items"], default=str)
    # Then no access token, webhook secret, API token or verification code is in them, only digests
    for store in (world.source, world.destination, world.stranger):
        for secret in (
            store.sandbox_token,
            store.token,
            store.code,
            store.sandbox.shop.myshopify_domain.removesuffix(".myshopify.com") + "-secret",
        ):
            assert secret not in items


def test_bad_input_names_what_was_wrong(world: World) -> None:
    answer = world.api.call("POST", "/links", world.source.token, json={"channel_name": "x"})
    assert answer.status_code == 422
    assert "verification_code" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/links/{link}", {"stock": {"buffer": 10**28}}, "stock.buffer"),
        ("PATCH", "/links/{link}", {"stock": {"floor": 10**29}}, "stock.floor"),
        ("PATCH", "/links/{link}", {"stock": {"buffer": -1}}, "stock.buffer"),
        ("PATCH", "/links/{link}", {"stock": {"floor": 2.5}}, "stock.floor"),
        ("GET", "/links/{link}/history?limit=0", None, "limit"),
        ("GET", "/links?limit=101", None, "limit"),
        ("GET", f"/links/{{link}}/oversells?limit={10**30}", None, "limit"),
        ("GET", "/links/{link}/orders?status=pushed&since=2026-01-01T00:00:00", None, "since"),
        (
            "GET",
            "/links/{link}/orders?status=pushed&since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00",
            None,
            "until",
        ),
        (
            "GET",
            "/links/{link}/orders?status=pushed&since=2026-01-01T00:00:00Z&until=9999-12-31T23:59:59-12:00",
            None,
            "until",
        ),
        ("GET", "/links/" + "x" * 3000, None, "link_id"),
    ],
    ids=[
        "a buffer of 10^28",
        "a floor of 10^29",
        "a negative buffer",
        "a floor of 2.5 units",
        "a page of 0",
        "a page of 101",
        "a page of 10^30",
        "a date without a zone",
        "an end date without a zone beside a start with one",
        "an end date past what a date holds in UTC",
        "a link id longer than a table key holds",
    ],
)
def test_a_value_out_of_its_range_is_a_422_naming_the_field(
    world: World, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    # Given a link, When its source sends a number (or date) the domain cannot hold
    answer = world.api.call(method, path.format(link=world.link_id), world.source.token, json=body)
    # Then the request model refuses it with 422 in storelink's error body, naming the field; nothing is stored
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["message"]
    assert world.api.call("GET", f"/links/{world.link_id}", world.source.token).json()["stock"] == {
        "buffer": 0,
        "floor": 0,
    }


def test_a_variant_id_that_is_no_variant_of_the_store_is_a_422_not_the_stores_refusal(world: World) -> None:
    # Given a connected link, When the destination maps a variant by an id that is not one of its variants
    connected(world)
    answer = world.api.call(
        "PUT",
        f"/links/{world.link_id}/mappings",
        world.destination.token,
        json={"destination_variant_id": "my-shirt", "source_variant_id": "gid://shopify/ProductVariant/1"},
    )
    # Then storelink says so with 422, as for an unknown variant (Shopify would refuse the whole document: a 502)
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "invalid_request")
    assert "no variant my-shirt" in answer.json()["error"]["message"]


def test_a_pending_links_health_report_is_read_from_the_stores(world: World) -> None:
    # Given a pending link (nothing matched yet) and a destination variant without SKU
    world.destination.sandbox.add_product("Mystery", [{"sku": ""}])
    # When either party asks for the SKU health report, Then it shows the catalogues as they are
    report = world.api.call("GET", f"/links/{world.link_id}/health", world.source.token).json()
    assert report["destination"]["empty_identifiers"]["count"] == 1
    assert report["states"] is None


def test_openapi_is_served(world: World) -> None:
    spec = world.api.call("GET", "/openapi.json").json()
    assert {"/stores", "/links", "/links/{link_id}/{action}"} <= set(spec["paths"])


def test_uninstalling_the_app_disconnects_the_stores_links(world: World, runtime: LocalRuntime) -> None:
    # Given a connected link
    connected(world)
    # When the destination's merchant uninstalls the app (Shopify sends app/uninstalled, signed)
    world.destination.sandbox.uninstall_app()
    runtime.drain()
    # Then the link is disconnected, and the history says why
    history = world.api.call("GET", f"/links/{world.link_id}/history", world.source.token).json()["transitions"]
    assert (history[-1]["to_status"], history[-1]["detail"]) == ("disconnected", "app uninstalled")


# Every route the management API's resolver has, as its description names them.
ROUTES = sorted(
    (method.upper(), path)
    for path, operations in openapi_description()["paths"].items()
    for method in operations
    if (method.upper(), path) != ("POST", "/stores")  # registration: the one route open to anyone
)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_refuses_a_caller_without_a_stores_token_and_hides_what_is_not_theirs(
    world: World, method: str, path: str
) -> None:
    # Given a route of the resolver, on the source's own store or link
    url = path.format(
        store_id=world.source.store_id,
        link_id=world.link_id,
        order_ref="1",
        order_id="o-1",
        action="grant",
        job_id="j-1",
    )
    # When it is called with no token, or with a token that is not a store's, Then 401 with the error body
    for token in (None, f"sl_{world.source.store_id}.not-the-token"):
        answer = world.api.call(method, url, token)
        assert answer.status_code == 401, f"{token}: {answer.text}"
        assert answer.json()["error"]["code"] == "not_authenticated"
    # And a store that is no party to them is told they do not exist (or what its request lacks)
    if "{store_id}" in path or "{link_id}" in path:
        assert world.api.call(method, url, world.stranger.token).status_code in (404, 422)
