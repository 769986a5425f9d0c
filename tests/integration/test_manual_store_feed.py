"""A manual store's change feed on template.yaml's ManualStoresTable in moto server: every write puts the events it
makes beside it, read back by the catch-up as a platform's recent changes (adapters/manual.py)."""

import os
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from storelink.adapters.manual import ManualChanges, ManualConnector, ManualStoreTable
from storelink.domain.events import OrderChanged
from storelink.domain.manual_stores import LOCATION_ID, ManualVariant
from storelink.domain.orders import OrderDraft, OrderLine
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.errors import StoreAccessRevoked
from storelink_local.runtime import LocalRuntime

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@pytest.fixture
def stall(runtime: LocalRuntime) -> ManualStoreTable:
    table = boto3.resource("dynamodb").Table(os.environ["MANUAL_STORES_TABLE_NAME"])
    data = ManualStoreTable(table, f"st_{uuid.uuid4().hex[:8]}", Clock())
    data.open("Market stall", "EUR")
    variant = ManualVariant(
        variant_id="v-1", product_id="p-1", product_title="Shirt", title="M", sku="S-M", available=5
    )
    data.write(new_variants=[variant], at=START)
    return data


def test_each_write_is_read_back_once_with_its_events_keyed_as_delivered(stall: ManualStoreTable) -> None:
    # Given storelink set a level of the store, then decremented it for an order line
    connector = ManualConnector(stall, shop_domain="stall.manual")
    level = InventoryRef(item_id="v-1", location_id=LOCATION_ID)
    connector.set_available({level: 4}, "storelink://x")
    connector.adjust_available({level: -1}, key="k-1", reference="storelink://y")
    # When the catch-up reads the feed from before them
    changes = ManualChanges(stall).changes_since(START)
    # Then both writes are there, oldest first, as the levels' changes with one delivery id per write
    assert [(e.available, e.delivery_id) for e in changes.events if isinstance(e, StockLevelChanged)] == [
        (4, "manual:level:v-1:1"),
        (3, "manual:level:v-1:2"),
    ]
    assert changes.latest == START + timedelta(seconds=2)
    # And a read from the first one's moment on leaves it out (the bound is strict)
    assert len(ManualChanges(stall).changes_since(START + timedelta(seconds=1)).events) == 1


def test_an_order_storelink_pushes_is_fed_as_pushed(stall: ManualStoreTable) -> None:
    # Given storelink pushes an order into the store
    line = OrderLine(line_id="d-1", title="Shirt", sku="S-M", variant_id="v-1", quantity=1, unit_price=Decimal(10))
    pushed = OrderDraft(currency="EUR", lines=(line,), source_identifier="storelink:web:st_dest:1001", approved=True)
    created = ManualConnector(stall, shop_domain="stall.manual").create_order(pushed)
    # Then the feed tells its creation, as pushed by storelink (it moves no stock anywhere)
    [event] = ManualChanges(stall).changes_since(START).events
    assert isinstance(event, OrderChanged)
    assert (event.order_id, event.change, event.pushed_by_storelink) == (created.order_id, "created", True)


def test_a_removed_store_refuses_every_call(stall: ManualStoreTable) -> None:
    stall.close()
    with pytest.raises(StoreAccessRevoked):
        ManualConnector(stall, shop_domain="stall.manual").adjust_available(
            {InventoryRef(item_id="v-1", location_id=LOCATION_ID): -1}, key="k", reference="storelink://z"
        )
