"""Stock propagation: the destination follows the source, with compare-and-set writes that never overwrite a sale."""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from storelink.domain.links import LinkStatus, SkuMapEntry, StockRules
from storelink.domain.stock import InventoryRef, LevelsSet
from storelink.domain.stores import STORE_KEPT_SECONDS, Store
from storelink.errors import StoreUnavailable
from storelink.services.stock_propagation import DestinationsFailed, StockPropagation
from tests.builders import (
    DESTINATION_ITEM,
    DESTINATION_LOCATION,
    SOURCE_ITEM,
    SOURCE_LOCATION,
    a_link,
    a_moment_after_the_change,
    a_stock_change,
    a_store,
    propagate,
)
from tests.fakes import (
    FakeAppliedLevels,
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeLinks,
    FakeSkuMaps,
    FakeStores,
)

DESTINATION_LEVEL = InventoryRef(item_id=DESTINATION_ITEM, location_id=DESTINATION_LOCATION)
SOURCE_LEVEL = InventoryRef(item_id=SOURCE_ITEM, location_id=SOURCE_LOCATION)


def propagation_with(
    destination: FakeConnector,
    source: FakeConnector | None = None,
    figures: FakeFigures | None = None,
    **link_fields,
) -> StockPropagation:
    return StockPropagation(
        stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
        links=FakeLinks([a_link(**link_fields)]),
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id="link-1",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                )
            ]
        ),
        connectors=FakeConnectors({"destination": destination, "source": source or FakeConnector()}),
        applied=FakeAppliedLevels(),
        figures=figures or FakeFigures(),
        now=a_moment_after_the_change,
    )


def test_each_propagation_measures_its_sync_lag_on_its_sources_figures_of_the_day() -> None:
    # Given a destination written 1.5 s after its source's change
    figures = FakeFigures()
    propagation = propagation_with(FakeConnector({DESTINATION_LEVEL: 10}), figures=figures)
    # When two changes of the shirt come in one batch, one made at the source 40 s earlier than the other
    early = a_stock_change(8, changed_at=datetime(2026, 11, 23, 11, 59, 21, tzinfo=UTC), delivery_id="early")
    propagation.propagate_batch([early, a_stock_change(7)])
    # Then the source's stock figures of the day count, for the link, one within 2 s and one within 60 s
    [day] = figures.days("SOURCE#source", date(2026, 11, 23), date(2026, 11, 23))
    assert day.counters == {"link-1#lag#2000": 1, "link-1#lag#60000": 1}


def test_a_batch_to_many_links_keeps_their_lags_in_one_write() -> None:
    # Given a source linked to two destinations, both selling the shirt
    figures = FakeFigures()
    propagation = StockPropagation(
        stores=FakeStores({name: a_store(name) for name in ("source", "destination", "outlet")}),
        links=FakeLinks([a_link(), a_link(link_id="link-2", destination_store_id="outlet")]),
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id=link_id,
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                )
                for link_id in ("link-1", "link-2")
            ]
        ),
        connectors=FakeConnectors(
            {name: FakeConnector({DESTINATION_LEVEL: 10}) for name in ("source", "destination", "outlet")}
        ),
        applied=FakeAppliedLevels(),
        figures=figures,
        now=a_moment_after_the_change,
    )
    # When a change reaches both
    propagation.propagate_batch([a_stock_change(7)])
    # Then their lags are added in one update, each link's under its own counters
    [update] = figures.added
    assert update.add == {"link-1#lag#2000": 1, "link-2#lag#2000": 1}


@dataclass
class CountingStores(FakeStores):
    reads: int = 0

    def get_many(self, store_ids: list[str]) -> dict[str, Store]:
        self.reads += 1
        return super().get_many(store_ids)


def test_a_destinations_record_is_kept_for_a_while_and_its_link_read_for_every_change() -> None:
    # Given a worker that wrote a change to its destination, the destination's record read for it
    stores = CountingStores({"source": a_store("source"), "destination": a_store("destination")})
    links, destination, moment = FakeLinks([a_link()]), FakeConnector({DESTINATION_LEVEL: 10}), [datetime.now(UTC)]
    propagation = StockPropagation(
        stores=stores,
        links=links,
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id="link-1",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                )
            ]
        ),
        connectors=FakeConnectors({"destination": destination}),
        applied=FakeAppliedLevels(),
        figures=FakeFigures(),
        now=lambda: moment[0],
    )

    def change_to(available: int) -> None:
        moment[0] += timedelta(seconds=STORE_KEPT_SECONDS / 2)
        propagate(propagation, a_stock_change(available, changed_at=moment[0], delivery_id=f"to-{available}"))

    change_to(9)
    # When the source changes again within the time a record is kept
    change_to(8)
    # Then the destination is written without its record read again
    assert (stores.reads, [targets[DESTINATION_LEVEL] for targets, _ in destination.set_calls]) == (1, [9, 8])
    # When the destination pauses the link (disconnects), and the source changes again at once
    links.links = [a_link(status=LinkStatus.DISCONNECTED)]
    change_to(7)
    # Then nothing is written: the links are read for every change
    assert len(destination.set_calls) == 2
    # When it reconnects and the source changes once the record has been kept its time
    links.links = [a_link()]
    change_to(6)
    # Then the record is read again, and the destination written
    assert (stores.reads, destination.set_calls[-1][0]) == (2, {DESTINATION_LEVEL: 6})


def test_source_change_sets_the_mapped_destination_level() -> None:
    # Given a destination at 10
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    # When the source drops to 7
    [update] = propagate(propagation_with(destination), a_stock_change(7))
    # Then the destination is set to 7, with a reference naming the link and the delivery
    assert destination.set_calls == [({DESTINATION_LEVEL: 7}, "storelink://links/link-1/deliveries/delivery-1")]
    assert (update.levels, update.writes, update.refused) == (1, 1, {})


def test_buffer_and_floor_of_the_link_apply() -> None:
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagate(propagation_with(destination, stock=StockRules(buffer=2, floor=0)), a_stock_change(7))
    assert destination.levels[DESTINATION_LEVEL] == 5


def test_a_level_the_destination_no_longer_stocks_is_reported_not_raised() -> None:
    # Given a destination that does not stock the mapped item at the mapped location
    destination = FakeConnector({})
    # When the change is propagated, Then the update names the refused level and why
    [update] = propagate(propagation_with(destination), a_stock_change(7))
    assert update.refused == {f"{DESTINATION_ITEM} at {DESTINATION_LOCATION}": "not stocked at this location"}


@pytest.mark.parametrize(
    "link_fields",
    [
        {"status": LinkStatus.PENDING},
        {"status": LinkStatus.BLOCKED},
        {"locations": {"gid://shopify/Location/1": DESTINATION_LOCATION}},
        {"link_id": "another-link"},
    ],
    ids=["pending link", "blocked link", "unmapped location", "no SKU map for the link"],
)
def test_changes_outside_a_connected_mapped_link_touch_nothing(link_fields) -> None:
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    assert propagate(propagation_with(destination, **link_fields), a_stock_change(7)) == []
    assert destination.set_calls == []


def test_a_late_webhook_never_puts_sold_stock_back() -> None:
    # Given the change to 5 (at 12:05) applied first, and the change to 7 (at 12:00) delivered late
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination)
    propagate(propagation, a_stock_change(5, changed_at=datetime(2026, 11, 23, 12, 5, tzinfo=UTC), delivery_id="new"))
    # When the late one arrives, Then it is skipped and the destination stays at 5
    assert propagate(propagation, a_stock_change(7, delivery_id="old")) == []
    assert destination.levels[DESTINATION_LEVEL] == 5


@pytest.mark.parametrize("arrival", [(9, 8), (8, 9)], ids=["in order", "reversed"])
def test_two_changes_in_the_same_second_leave_the_destination_at_the_source_level(arrival: tuple[int, int]) -> None:
    # Given a source that sold twice in one second (10 → 9 → 8), both webhooks stamped 12:00:00
    source = FakeConnector({InventoryRef(item_id=SOURCE_ITEM, location_id=SOURCE_LOCATION): 8})
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination, source)
    # When their webhooks arrive in either order
    first, second = arrival
    propagate(propagation, a_stock_change(first, delivery_id=f"sale-to-{first}"))
    propagate(propagation, a_stock_change(second, delivery_id=f"sale-to-{second}"))
    # Then the second, as old as the first, trusted neither number: the source's 8 was read and propagated
    assert destination.levels[DESTINATION_LEVEL] == 8


def test_a_change_retried_by_the_queue_applies_its_own_number_again() -> None:
    # Given a change applied once, When the queue delivers it again as it was received (its destination failed, or
    # the worker stopped), Then it applies as before
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination)
    propagate(propagation, a_stock_change(9))
    destination.levels[DESTINATION_LEVEL] = 10
    propagate(propagation, a_stock_change(9))
    assert destination.levels[DESTINATION_LEVEL] == 9


@pytest.mark.parametrize(
    "received_again_at",
    [datetime(2026, 11, 23, 12, 3, tzinfo=UTC), datetime(2026, 11, 23, 15, 0, tzinfo=UTC)],
    ids=["within the queue's 5-minute deduplication", "hours later"],
)
def test_the_change_applied_received_again_is_refused_with_no_store_call(received_again_at: datetime) -> None:
    # Given the source's change to 9 propagated, then a sale at the destination (9 → 8) not yet mirrored to the source
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination, source=FakeConnector())  # reading the source would fail
    propagate(propagation, a_stock_change(9))
    destination.levels[DESTINATION_LEVEL] = 8
    calls = len(destination.set_calls)
    # When the platform delivers the change again (ingress keeps no record of stock deliveries), or the catch-up
    # reads it back: the same delivery, received anew
    updates = propagate(propagation, a_stock_change(9, received_at=received_again_at))
    # Then it is refused with no call to any store, and the destination's sale stands
    assert updates == []
    assert len(destination.set_calls) == calls
    assert destination.levels[DESTINATION_LEVEL] == 8


def test_an_earlier_change_received_again_after_a_newer_one_is_skipped_by_its_date() -> None:
    # Given the change to 9 (12:00), then the change to 7 (12:01), both propagated
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination)
    propagate(propagation, a_stock_change(9, delivery_id="first"))
    propagate(propagation, a_stock_change(7, delivery_id="next", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)))
    # When the first is received again, Then it is skipped and the destination keeps 7
    again = a_stock_change(9, delivery_id="first", received_at=datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
    assert propagate(propagation, again) == []
    assert destination.levels[DESTINATION_LEVEL] == 7


def test_the_first_of_a_seconds_changes_received_again_after_the_second_read_the_source_is_refused() -> None:
    # Given two deliveries of one second: the first applied, the second read the source's 5 and propagated it
    destination, source = FakeConnector({DESTINATION_LEVEL: 12}), FakeConnector({SOURCE_LEVEL: 5})
    propagation = propagation_with(destination, source)
    propagate(propagation, a_stock_change(12, delivery_id="first"))
    propagate(propagation, a_stock_change(11, delivery_id="other"))
    calls = (len(destination.set_calls), len(destination.last_written_given))
    # When the first is received again
    again = a_stock_change(12, delivery_id="first", received_at=datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
    # Then nothing is written: the level the second read stands
    assert propagate(propagation, again) == []
    assert (len(destination.set_calls), len(destination.last_written_given)) == calls
    assert destination.levels[DESTINATION_LEVEL] == 5


def fan_out_to(destinations: dict[str, FakeConnector]) -> StockPropagation:
    """One source linked to each of `destinations` (store id → its connector), the same item mapped on every link."""
    return StockPropagation(
        stores=FakeStores({"source": a_store("source")} | {store_id: a_store(store_id) for store_id in destinations}),
        links=FakeLinks([a_link(f"link-{store_id}", destination_store_id=store_id) for store_id in destinations]),
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id=f"link-{d}",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                )
                for d in destinations
            ]
        ),
        connectors=FakeConnectors(destinations),
        applied=FakeAppliedLevels(),
        figures=FakeFigures(),
        now=a_moment_after_the_change,
    )


@dataclass
class MeetingConnector(FakeConnector):
    """A destination whose write only finishes once every destination's write has started."""

    meeting: threading.Barrier = field(default_factory=lambda: threading.Barrier(1))

    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        self.meeting.wait()
        return super().set_available(targets, reference, last_written)


def test_destinations_are_written_concurrently() -> None:
    # Given three destinations whose writes can only finish together (a serial fan-out would never get past
    # the first: the barrier breaks after its timeout and the write raises)
    meeting = threading.Barrier(3, timeout=10)
    destinations = {f"d{n}": MeetingConnector({DESTINATION_LEVEL: 10}, meeting=meeting) for n in range(3)}
    # When the source changes
    updates = propagate(fan_out_to(dict(destinations)), a_stock_change(7))
    # Then every destination was written, one batched call each
    assert sorted(update.destination_store_id for update in updates) == ["d0", "d1", "d2"]
    assert [len(d.set_calls) for d in destinations.values()] == [1, 1, 1]


@dataclass
class FailingConnector(FakeConnector):
    def set_available(
        self,
        targets: Mapping[InventoryRef, int],
        reference: str,
        last_written: Mapping[InventoryRef, int] | None = None,
    ) -> LevelsSet:
        raise StoreUnavailable("HTTP 503 from the store")


def test_one_failing_destination_does_not_hold_back_the_others() -> None:
    # Given two healthy destinations and one whose store answers 503
    healthy = {"d1": FakeConnector({DESTINATION_LEVEL: 10}), "d3": FakeConnector({DESTINATION_LEVEL: 10})}
    propagation = fan_out_to({"d1": healthy["d1"], "d2": FailingConnector({DESTINATION_LEVEL: 10}), **healthy})
    # When the source changes, Then the change fails naming the failed destination (so SQS retries it)
    with pytest.raises(DestinationsFailed, match=r"1 of 3 destinations failed: d2: StoreUnavailable"):
        propagate(propagation, a_stock_change(7))
    # And the healthy destinations already show the new level
    assert [d.levels[DESTINATION_LEVEL] for d in healthy.values()] == [7, 7]


def test_a_batchs_changes_reach_each_destination_in_one_call() -> None:
    # Given a source whose shirt (mapped) and a second item (mapped too) change in one batch, the shirt twice
    other_source, other_destination = "gid://shopify/InventoryItem/2", "gid://shopify/InventoryItem/102"
    other_level = InventoryRef(item_id=other_destination, location_id=DESTINATION_LOCATION)
    destination = FakeConnector({DESTINATION_LEVEL: 10, other_level: 10})
    propagation = StockPropagation(
        stores=FakeStores({"source": a_store("source"), "destination": a_store("destination")}),
        links=FakeLinks([a_link()]),
        sku_maps=FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id="link-1",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=DESTINATION_ITEM,
                ),
                SkuMapEntry(
                    link_id="link-1",
                    source_store_id="source",
                    source_item_id=other_source,
                    destination_item_id=other_destination,
                ),
            ]
        ),
        connectors=FakeConnectors({"destination": destination}),
        applied=FakeAppliedLevels(),
        figures=FakeFigures(),
        now=a_moment_after_the_change,
    )
    changes = [
        a_stock_change(9, delivery_id="first"),
        a_stock_change(4, delivery_id="other", level=InventoryRef(item_id=other_source, location_id=SOURCE_LOCATION)),
        a_stock_change(8, delivery_id="second", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)),
    ]
    # When the batch is propagated
    outcome = propagation.propagate_batch(changes)
    # Then the destination got one call with both levels, the shirt at its latest level
    assert [targets for targets, _ in destination.set_calls] == [{DESTINATION_LEVEL: 8, other_level: 4}]
    assert destination.set_calls[0][1] == "storelink://links/link-1/deliveries/first-and-2-more"
    assert outcome.failed == {}


def test_every_change_a_failed_write_carried_is_failed() -> None:
    # Given a destination that answers 503, and two changes for it in one batch
    propagation = fan_out_to({"d1": FailingConnector({DESTINATION_LEVEL: 10})})
    changes = [
        a_stock_change(9, delivery_id="first"),
        a_stock_change(8, delivery_id="second", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)),
    ]
    # When the batch is propagated, Then both changes are failed (the queue retries them), naming the destination
    outcome = propagation.propagate_batch(changes)
    assert sorted(outcome.failed) == ["first", "second"]
    assert "d1: StoreUnavailable" in str(outcome.failed["first"])


def test_a_change_is_written_against_what_the_previous_one_propagated() -> None:
    # Given a link with a buffer of 1, whose source's change to 10 was propagated (the first: read first)
    destination = FakeConnector({DESTINATION_LEVEL: 3})
    propagation = propagation_with(destination, stock=StockRules(buffer=1))
    propagate(propagation, a_stock_change(10, delivery_id="first"))
    # When the source changes to 7
    propagate(
        propagation, a_stock_change(7, delivery_id="second", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC))
    )
    # Then the first write knew nothing, and the second goes against the 9 storelink wrote (10 less the buffer)
    assert destination.last_written_given == [{}, {DESTINATION_LEVEL: 9}]
    assert destination.levels[DESTINATION_LEVEL] == 6


def test_a_batch_writes_a_level_against_what_was_there_before_its_first_change() -> None:
    # Given a level propagated at 12, then a batch changing it to 9 and then 8
    destination = FakeConnector({DESTINATION_LEVEL: 10})
    propagation = propagation_with(destination)
    propagate(propagation, a_stock_change(12, delivery_id="before"))
    changes = [
        a_stock_change(9, delivery_id="first", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)),
        a_stock_change(8, delivery_id="second", changed_at=datetime(2026, 11, 23, 12, 2, tzinfo=UTC)),
    ]
    # When the batch is propagated
    propagation.propagate_batch(changes)
    # Then its one write sets 8 against 12, never against the 9 that was never written
    assert destination.set_calls[-1][0] == {DESTINATION_LEVEL: 8}
    assert destination.last_written_given[-1] == {DESTINATION_LEVEL: 12}


def test_a_same_second_change_goes_against_what_was_written_and_its_read_level_against_the_next() -> None:
    # Given a level propagated at 12, then another delivery of the same second, the source holding 5
    destination, source = FakeConnector({DESTINATION_LEVEL: 12}), FakeConnector({SOURCE_LEVEL: 5})
    propagation = propagation_with(destination, source)
    propagate(propagation, a_stock_change(12, delivery_id="first"))
    # When the second is propagated (the source's own level is read: neither webhook can be trusted), then a
    # newer change to 4
    propagate(propagation, a_stock_change(11, delivery_id="other"))
    propagate(propagation, a_stock_change(4, delivery_id="next", changed_at=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)))
    # Then each write went against what storelink wrote before it, with no read first: the 12, then the 5 read
    assert destination.last_written_given[1:] == [{DESTINATION_LEVEL: 12}, {DESTINATION_LEVEL: 5}]
    assert destination.levels[DESTINATION_LEVEL] == 4


def test_a_same_second_change_retried_reads_the_source_again() -> None:
    # Given a same-second change propagated from the source's 5, and the source selling to 3 since
    destination, source = FakeConnector({DESTINATION_LEVEL: 12}), FakeConnector({SOURCE_LEVEL: 5})
    propagation = propagation_with(destination, source)
    propagate(propagation, a_stock_change(12, delivery_id="first"))
    propagate(propagation, a_stock_change(11, delivery_id="other"))
    source.levels[SOURCE_LEVEL] = 3
    # When the queue delivers it again (its number, 11, was never the truth)
    propagate(propagation, a_stock_change(11, delivery_id="other"))
    # Then it reads the source again, and writes against the 5 it kept
    assert destination.last_written_given[-1] == {DESTINATION_LEVEL: 5}
    assert destination.levels[DESTINATION_LEVEL] == 3
