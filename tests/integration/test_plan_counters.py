"""What plans count, on template.yaml's LinksTable and SkuMapsTable in moto server: the monthly pushed-orders counter
raised only below the cap (racing pushes: exactly one takes the last slot), each push counted once, held pushes
oldest first, and mapped variants counted without reading them."""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import boto3
import pytest

from storelink.adapters.dynamodb import DynamoDbSkuMaps
from storelink.adapters.plans import DynamoDbPlanCounters
from storelink.domain.links import SkuMapEntry
from storelink.domain.messages import PushRequested
from storelink.domain.plans import HeldPush
from storelink_local.runtime import LocalRuntime

NOW = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


@pytest.fixture
def counters(runtime: LocalRuntime) -> DynamoDbPlanCounters:
    table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    return DynamoDbPlanCounters(lambda: table)


def a_push(order: int, link_id: str = "ln_1") -> PushRequested:
    return PushRequested(destination_store_id="st_dst", order_id=f"gid://shopify/Order/{order}", link_id=link_id)


def test_pushes_racing_for_the_last_slot_of_the_month_one_wins(counters: DynamoDbPlanCounters) -> None:
    # Given a store with 4 of its 5 pushes of December taken
    for order in range(4):
        assert counters.take_push("st_race", "2026-12", 5, a_push(order))
    # When 6 pushes of other orders ask for a slot at the same moment
    start = Barrier(6)

    def push(order: int) -> bool:
        start.wait()
        return counters.take_push("st_race", "2026-12", 5, a_push(order))

    with ThreadPoolExecutor(6) as pool:
        taken = list(pool.map(push, range(10, 16)))
    # Then exactly one takes the last slot, and the month counts 5
    assert taken.count(True) == 1
    assert counters.pushed("st_race", "2026-12") == 5
    # And January starts from none
    assert counters.pushed("st_race", "2027-01") == 0
    assert counters.take_push("st_race", "2027-01", 5, a_push(20))


def test_a_push_retried_is_counted_once_even_at_the_cap(counters: DynamoDbPlanCounters) -> None:
    # Given a push that took the last slot (cap 1)
    assert counters.take_push("st_once", "2026-12", 1, a_push(1))
    # When it is retried (a store that did not answer, a redelivery), even with no slot left
    # Then it goes ahead and is not counted again; another order is refused
    assert counters.take_push("st_once", "2026-12", 1, a_push(1))
    assert counters.pushed("st_once", "2026-12") == 1
    assert not counters.take_push("st_once", "2026-12", 1, a_push(2))
    # And with no cap every push is counted
    assert counters.take_push("st_once", "2026-12", None, a_push(3))
    assert counters.pushed("st_once", "2026-12") == 2


def test_held_pushes_read_oldest_first_and_the_store_is_forgotten_only_when_nothing_new_came(
    counters: DynamoDbPlanCounters,
) -> None:
    # Given three pushes held, the newest first
    holds = [HeldPush(store_id="st_held", push=a_push(n), held_at=NOW - timedelta(minutes=n)) for n in (1, 2, 3)]
    for held in holds:
        counters.hold(held)
    # Then they read oldest first, two at a time, and count 3
    assert counters.held("st_held", 2) == [holds[2], holds[1]]
    assert counters.count_held("st_held", 100) == 3
    mark = counters.stores_holding()["st_held"]
    # When one is pushed and let go, and another is held after the mark was read
    counters.unhold(holds[2])
    counters.hold(HeldPush(store_id="st_held", push=a_push(4), held_at=NOW))
    # Then forgetting the store with the old mark keeps it among those holding
    counters.forget("st_held", mark)
    assert "st_held" in counters.stores_holding()
    counters.forget("st_held", counters.stores_holding()["st_held"])
    assert "st_held" not in counters.stores_holding()


def test_mapped_variants_are_counted_up_to_a_bound(runtime: LocalRuntime) -> None:
    # Given a link with 5 matched variants and 2 unmatched
    sku_maps = DynamoDbSkuMaps(boto3.resource("dynamodb").Table(os.environ["SKU_MAPS_TABLE_NAME"]))
    entries = [
        SkuMapEntry(
            link_id="ln_count",
            destination_item_id=f"d{n}",
            destination_variant_id=f"dv{n}",
            source_store_id="st_src" if n < 5 else "",
            source_item_id=f"s{n}" if n < 5 else None,
            source_variant_id=f"sv{n}" if n < 5 else None,
            state="matched" if n < 5 else "unmatched",
        )
        for n in range(7)
    ]
    sku_maps.replace_all("ln_count", [], entries)
    # Then 5 are counted, or the bound when it is lower
    assert sku_maps.count_matched("ln_count", 100) == 5
    assert sku_maps.count_matched("ln_count", 3) == 3
