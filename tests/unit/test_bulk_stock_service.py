"""The bulk stock service on fakes: a store's own CSV is planned against it, then written all or nothing."""

from dataclasses import dataclass

import pytest

from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite
from storelink.errors import NotFound, PayloadTooLarge
from storelink.services import bulk_stock
from storelink.services.bulk_stock import BulkStock
from tests.builders import a_store, a_variant
from tests.fakes import FakeConnector, FakeConnectors

TEE = InventoryRef(item_id="item-of-v1", location_id="loc-1")
MUG = InventoryRef(item_id="item-of-v2", location_id="loc-1")
SOURCE = a_store("source")
FILE = b"sku,location,set,adjust\nTEE,loc-1,25,\nMUG,loc-1,,-2\n"


def a_shop(connector_type: type[FakeConnector] = FakeConnector) -> FakeConnector:
    return connector_type(
        levels={TEE: 10, MUG: 5}, location_ids=("loc-1",), variants=[a_variant("v1", "TEE"), a_variant("v2", "MUG")]
    )


def upload(shop: FakeConnector, body: bytes = FILE, *, dry_run: bool = False) -> bulk_stock.StockUpdatePlan:
    return BulkStock(connectors=FakeConnectors({"source": shop})).upload(SOURCE, "source", body, dry_run=dry_run)


def test_a_file_is_written_sets_compare_and_set_and_adjustments_with_a_key_from_the_file() -> None:
    # Given a store with 10 tees and 5 mugs
    shop = a_shop()
    # When its file sets the tees to 25 and takes 2 mugs away
    plan = upload(shop)
    # Then both levels changed, and the plan says it was applied
    assert (plan.applicable, plan.applied) == (True, True)
    assert shop.levels == {TEE: 25, MUG: 3}
    # And the set was a compare-and-set, the adjustment carried a key derived from the store and file
    [(targets, reference)] = shop.set_calls
    assert targets == {TEE: 25}
    [key] = shop.adjusted
    assert key.startswith("stock-upload/")
    assert reference == f"storelink://stores/source/stock-uploads/{key.removeprefix('stock-upload/')}"


def test_a_dry_run_shows_each_level_from_and_to_and_writes_nothing() -> None:
    shop = a_shop()
    plan = upload(shop, dry_run=True)
    assert [(level.sku, level.current, level.new) for level in plan.levels] == [("TEE", 10, 25), ("MUG", 5, 3)]
    assert (plan.applied, shop.levels, shop.set_calls, shop.adjusted) == (False, {TEE: 10, MUG: 5}, [], {})


def test_one_wrong_row_writes_nothing_at_all() -> None:
    # Given a file whose second row takes more mugs than there are
    shop = a_shop()
    plan = upload(shop, b"sku,location,set,adjust\nTEE,loc-1,25,\nMUG,loc-1,,-6\n")
    # Then the row is named and not even the good row was written
    assert [(error.row_number, error.column) for error in plan.errors] == [(3, "adjust")]
    assert (plan.applied, shop.levels, shop.set_calls, shop.adjusted) == (False, {TEE: 10, MUG: 5}, [], {})


def test_the_same_file_sent_again_changes_nothing_twice() -> None:
    # Given a file applied once
    shop = a_shop()
    upload(shop)
    # When the caller, unsure it arrived, sends it again
    upload(shop)
    # Then the set found its level already there and the adjustment's key was applied once
    assert shop.levels == {TEE: 25, MUG: 3}
    assert len(shop.adjusted) == 1


@dataclass
class SaleBeforeTheWrite(FakeConnector):
    """A tee sold between storelink's read and its first write."""

    def compare_and_set(self, writes: list[LevelWrite], reference: str) -> LevelsSet:
        if not self.set_calls:
            self.levels[TEE] -= 1
        return super().compare_and_set(writes, reference)


def test_a_sale_between_the_read_and_the_write_stays_sold() -> None:
    # Given a tee sold after the plan read 10 and before the set to 25 reached the store
    shop = a_shop(SaleBeforeTheWrite)
    # When the file is applied
    plan = upload(shop)
    # Then the stale write was not forced: it was applied again on top of the sale
    assert [targets for targets, _ in shop.set_calls] == [{TEE: 25}, {TEE: 24}]
    assert shop.levels[TEE] == 24
    assert plan.applied


def test_a_store_uploads_only_its_own_stock_and_within_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = a_shop()
    service = BulkStock(connectors=FakeConnectors({"source": shop}))
    with pytest.raises(NotFound):
        service.upload(a_store("destination"), "source", FILE, dry_run=False)
    monkeypatch.setattr(bulk_stock, "MAX_CSV_BYTES", len(FILE) - 1)
    with pytest.raises(PayloadTooLarge, match="through POST /stores/source/stock/imports"):
        service.upload(SOURCE, "source", FILE, dry_run=False)
    assert shop.levels == {TEE: 10, MUG: 5}


def test_a_masters_exported_stock_is_imported_in_its_replica_through_storelink() -> None:
    # Given a master with 10 tees and 5 mugs, and a replica selling the same SKUs under its own ids, with other
    # levels and one location of the same name
    master, replica = a_shop(), a_shop()
    replica.variants = [
        a_variant("r1", "TEE", inventory_item_id="r-tee"),
        a_variant("r2", "MUG", inventory_item_id="r-mug"),
    ]
    replica.levels = {
        InventoryRef(item_id="r-tee", location_id="loc-1"): 0,
        InventoryRef(item_id="r-mug", location_id="loc-1"): 9,
    }
    stock = BulkStock(connectors=FakeConnectors({"master": master, "replica": replica}))
    # When the merchant exports the master's stock and uploads the file to the replica
    exported = "".join(stock.export(a_store("master"), "master"))
    plan = stock.upload(a_store("replica"), "replica", exported.encode(), dry_run=False)
    # Then the replica holds the master's levels, and the master is untouched
    assert (plan.applied, plan.errors) == (True, [])
    assert replica.levels == {
        InventoryRef(item_id="r-tee", location_id="loc-1"): 10,
        InventoryRef(item_id="r-mug", location_id="loc-1"): 5,
    }
    assert master.levels == {TEE: 10, MUG: 5}


def test_a_store_exports_only_its_own_stock() -> None:
    with pytest.raises(NotFound):
        BulkStock(connectors=FakeConnectors({"source": a_shop()})).export(a_store("another"), "source")
