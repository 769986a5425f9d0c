"""Bulk stock adjustment end to end: a source uploads a CSV through the management API, storelink writes the
source's levels, and the source's own inventory webhooks carry them to the destination."""

import httpx
import pytest

from storelink.domain.stock import InventoryRef
from storelink.services.bulk_stock import MAX_CSV_BYTES
from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import SKU, LinkedShop, LinkedStores
from tests.e2e.conftest import ShopMaker

pytestmark = pytest.mark.contract

MUG = "MUG-1"


@pytest.fixture
def mugs(stores: LinkedStores, runtime: LocalRuntime) -> dict[str, InventoryRef]:
    """Beside the shirt, both stores sell 5 mugs; the grant's catalogue import then maps both by SKU."""
    levels = {}
    for shop in (stores.source, stores.destination):
        product = shop.sandbox.add_product("Mug", [{"sku": MUG}], stock={shop.level.location_id: 5})
        levels[shop.store.store_id] = InventoryRef(
            item_id=product.variants[0].inventory_item_id, location_id=shop.level.location_id
        )
    runtime.drain()
    return levels


def available(shop: LinkedShop, level: InventoryRef) -> int:
    return shop.sandbox.available(level.item_id, level.location_id)


def upload(
    runtime: LocalRuntime, shop: LinkedShop, csv: str | bytes, *, dry_run: bool = False, token: str | None = None
) -> httpx.Response:
    """POST the CSV to the shop's stock, with its own API token unless another is given."""
    return httpx.post(
        f"{runtime.api_url}/stores/{shop.store.store_id}/stock.csv",
        params={"dry_run": str(dry_run).lower()},
        headers={"Authorization": f"Bearer {token or shop.api_token}", "Content-Type": "text/csv"},
        content=csv,
        timeout=30,
    )


FILE = f"sku,location,set,adjust\n{SKU},Warehouse,30,\n{MUG},warehouse,,-2\n"


def test_a_source_csv_is_checked_written_and_propagated_to_its_destination(
    runtime: LocalRuntime, stores: LinkedStores, mugs: dict[str, InventoryRef]
) -> None:
    source, destination = stores.source, stores.destination

    def levels() -> tuple[int, int, int, int]:
        return (
            source.available,
            available(source, mugs[source.store.store_id]),
            destination.available,
            available(destination, mugs[destination.store.store_id]),
        )

    # Given a source and its destination with 12 shirts and 5 mugs each
    assert levels() == (12, 5, 12, 5)
    # When the source asks for a dry run of a file setting the shirts to 30 and taking 2 mugs away
    dry = upload(runtime, source, FILE, dry_run=True)
    # Then it shows each level from and to, and writes nothing
    assert dry.status_code == 200, dry.text
    assert [(level["sku"], level["current"], level["new"]) for level in dry.json()["levels"]] == [
        (SKU, 12, 30),
        (MUG, 5, 3),
    ]
    assert (dry.json()["applied"], levels()) == (False, (12, 5, 12, 5))
    # When it uploads the file for real and the queued work runs
    applied = upload(runtime, source, FILE)
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True
    assert levels()[:2] == (30, 3)
    runtime.drain()
    # Then the source holds the new levels, and its own webhooks carried them to the destination
    assert levels() == (30, 3, 30, 3)
    # And the same file sent again changes nothing twice: the adjustment's key was applied once
    assert upload(runtime, source, FILE).status_code == 200
    runtime.drain()
    assert levels() == (30, 3, 30, 3)


def test_a_file_with_one_wrong_row_writes_nothing_and_names_the_row(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    source = stores.source
    # Given a file whose last row names a SKU the source does not have
    answer = upload(runtime, source, f"sku,location,set\n{SKU},Warehouse,30\nHAT,Warehouse,1\n")
    # Then it is refused with the row and column, and the good row was not written either
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [{"row_number": 3, "column": "sku", "message": "no variant has SKU HAT"}]
    assert source.available == 12
    # And a store cannot upload another store's stock, nor a body beyond the limit
    assert upload(runtime, source, FILE, token=stores.destination.api_token).status_code == 404
    too_large = upload(runtime, source, b"x" * (MAX_CSV_BYTES + 1))
    assert (too_large.status_code, too_large.json()["error"]["code"]) == (413, "payload_too_large")


def test_a_stores_exported_stock_is_the_file_another_of_the_merchants_stores_imports(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a master holding 7 shirts and a replica holding none, not linked (the seed's initial sync by hand)
    master, replica = shops.shop("master", 7), shops.shop("replica", 0)
    # When the merchant exports the master's stock through storelink and uploads the file to the replica
    exported = httpx.get(
        f"{runtime.api_url}/stores/{master.store.store_id}/stock.csv",
        headers={"Authorization": f"Bearer {master.api_token}"},
        timeout=30,
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    uploaded = upload(runtime, replica, exported.content)
    # Then the replica holds the master's shirts, found by SKU under its own ids
    assert uploaded.status_code == 200, uploaded.text
    assert (replica.available, master.available) == (7, 7)
