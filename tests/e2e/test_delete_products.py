"""Disconnecting with delete_products end to end: the destination's products synced through the link alone
are deleted, a product that also sells an unlinked variant is kept with its mapped variant at 0 and named;
a dry run answers both lists and changes nothing."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import LinkedStores

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class Mug:
    """The destination's mug: its red variant comes from the source, its blue one is the destination's own."""

    product_id: str
    red_item: str
    blue_item: str
    location_id: str


@pytest.fixture
def mug(stores: LinkedStores, runtime: LocalRuntime) -> Mug:
    source, destination = stores.source, stores.destination
    source.sandbox.add_product("Mug", [{"sku": "MUG-RED", "title": "Red"}], stock={source.level.location_id: 5})
    location = destination.level.location_id
    product = destination.sandbox.add_product(
        "Mug", [{"sku": "MUG-RED", "title": "Red"}, {"sku": "MUG-BLUE", "title": "Blue"}], stock={location: 5}
    )
    runtime.drain()  # the grant's catalogue import maps the shirt and the red mug
    red, blue = product.variants
    return Mug(product.id, red.inventory_item_id, blue.inventory_item_id, location)


def disconnect(runtime: LocalRuntime, stores: LinkedStores, *, dry_run: bool) -> dict[str, Any]:
    answer = httpx.post(
        f"{runtime.api_url}/links/{stores.link.link_id}/disconnect",
        params={"option": "delete_products", "dry_run": str(dry_run).lower()},
        headers={"Authorization": f"Bearer {stores.destination.api_token}"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_dry_run_shows_both_lists_and_changes_nothing(runtime: LocalRuntime, stores: LinkedStores, mug: Mug) -> None:
    destination = stores.destination
    # When the destination asks what disconnecting with delete_products would do
    answer = disconnect(runtime, stores, dry_run=True)
    runtime.drain()
    # Then the shirt would be deleted, and the mug kept with its red variant set to 0, named with why
    products = answer["products"]
    assert [product["title"] for product in products["delete"]] == ["Linen shirt"]
    assert [(p["product_id"], p["reason"]) for p in products["set_to_zero"]] == [
        (mug.product_id, "also sells variants not on this link: Blue")
    ]
    # And nothing changed: the link is connected, both products are there with their stock
    assert (answer["dry_run"], answer["status"]) == (True, "connected")
    assert [product.title for product in destination.sandbox.products] == ["Linen shirt", "Mug"]
    assert destination.available == 12
    assert destination.sandbox.available(mug.red_item, mug.location_id) == 5


def test_disconnecting_deletes_what_came_through_the_link_and_zeroes_the_rest(
    runtime: LocalRuntime, stores: LinkedStores, mug: Mug
) -> None:
    source, destination = stores.source, stores.destination
    # When the destination disconnects with delete_products
    answer = disconnect(runtime, stores, dry_run=False)
    # Then the answer says what will happen, and the link shows the work under way
    assert [product["title"] for product in answer["products"]["delete"]] == ["Linen shirt"]
    assert [product["product_id"] for product in answer["products"]["set_to_zero"]] == [mug.product_id]
    assert (answer["status"], answer["product_removal"]["state"]) == ("disconnected", "removing")
    # When the queued work runs
    runtime.drain()
    # Then the shirt is deleted, the mug is kept with its red variant at 0 and its own blue one untouched
    assert [product.title for product in destination.sandbox.products] == ["Mug"]
    assert destination.sandbox.available(mug.red_item, mug.location_id) == 0
    assert destination.sandbox.available(mug.blue_item, mug.location_id) == 5
    # And the source is unchanged
    assert [product.title for product in source.sandbox.products] == ["Linen shirt", "Mug"]
    assert source.available == 12
    # And the link says it is done, and its history names both lists
    token = {"Authorization": f"Bearer {destination.api_token}"}
    link = httpx.get(f"{runtime.api_url}/links/{stores.link.link_id}", headers=token).json()
    assert {key: link["product_removal"][key] for key in ("state", "deleted", "set_to_zero")} == {
        "state": "done",
        "deleted": 1,
        "set_to_zero": 1,
    }
    history = httpx.get(f"{runtime.api_url}/links/{stores.link.link_id}/history", headers=token).json()
    last = history["transitions"][-1]["detail"]
    assert "products deleted: Linen shirt" in last
    assert f"set to 0: Mug ({mug.product_id}): also sells variants not on this link: Blue" in last
