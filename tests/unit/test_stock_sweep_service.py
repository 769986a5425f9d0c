"""The sweep on fakes: only drifted levels are written, a clean sweep writes nothing, and a link larger than
a part is swept in parts that queue each other, reporting once on the link when the last part is done."""

from datetime import UTC, datetime

from storelink.domain.links import SkuMapEntry, StockRules
from storelink.domain.messages import SweepJob
from storelink.domain.stock import InventoryRef
from storelink.domain.stores import Attention, ParkedMessage
from storelink.ports import LinkedStores
from storelink.services.stock_sweep import StockSweep
from storelink.services.store_attention import StoreAttention
from tests.builders import DESTINATION_LOCATION, SOURCE_LOCATION, a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeLinkBook,
    FakeParkedWork,
    FakeSkuMaps,
    FakeStores,
    FakeWorkQueues,
    RecordingSweeps,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class World:
    """A link mapping `variants` shirts; the source holds `source_levels`, the destination `destination_levels`."""

    def __init__(self, source_levels: list[int], destination_levels: list[int], entries_per_part: int = 2_500) -> None:
        def level(item: str, location: str) -> InventoryRef:
            return InventoryRef(item_id=item, location_id=location)

        self.source_levels = [level(f"s{n}", SOURCE_LOCATION) for n in range(len(source_levels))]
        self.destination_levels = [level(f"d{n}", DESTINATION_LOCATION) for n in range(len(destination_levels))]
        self.source = FakeConnector(dict(zip(self.source_levels, source_levels, strict=True)))
        self.destination = FakeConnector(dict(zip(self.destination_levels, destination_levels, strict=True)))
        self.links = FakeLinkBook({"link-1": a_link(stock=StockRules(buffer=1))})
        self.next_parts = RecordingSweeps()
        self.stores = FakeStores({"source": a_store("source"), "destination": a_store("destination")})
        self.parked, self.queues = FakeParkedWork(), FakeWorkQueues()
        self.figures = FakeFigures()
        self.sweep = StockSweep(
            linked=LinkedStores(
                stores=self.stores,
                links=self.links,
                sku_maps=FakeSkuMaps(
                    [
                        SkuMapEntry(link_id="link-1", source_item_id=f"s{n}", destination_item_id=f"d{n}")
                        for n in range(len(source_levels))
                    ]
                ),
                connectors=FakeConnectors({"source": self.source, "destination": self.destination}),
                now=lambda: NOW,
            ),
            next_parts=self.next_parts,
            attention=StoreAttention(self.stores, self.parked, self.queues),
            figures=self.figures,
            entries_per_part=entries_per_part,
        )

    def run_until_done(self) -> int:
        """Run the scheduled job and every part it queues, as the sweep queue would; returns the parts run."""
        pending, parts = [SweepJob(link_id="link-1")], 0
        while pending:
            self.sweep.sweep(pending.pop(0))
            parts += 1
            pending += self.next_parts.jobs
            self.next_parts.jobs = []
        return parts


def test_a_clean_sweep_writes_nothing() -> None:
    # Given destinations that already show their source less the buffer of 1
    world = World(source_levels=[5, 9], destination_levels=[4, 8])
    # When the link is swept
    world.run_until_done()
    # Then no store was written, nor the figures, and the report says so
    assert world.destination.set_calls == []
    assert world.figures.items == {}
    report = world.links.links["link-1"].last_sweep
    assert report is not None
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (2, 0, 0)


def test_a_large_link_is_swept_in_parts_and_reported_once() -> None:
    # Given a link of 5 mapped variants, 2 of them drifted (by 3 and by 7), swept 2 entries a part
    world = World(source_levels=[5, 5, 5, 5, 5], destination_levels=[4, 7, 4, 4, 11], entries_per_part=2)
    # When the sweep runs
    parts = world.run_until_done()
    # Then it took 3 parts, every destination now shows its source less the buffer
    assert parts == 3
    assert [world.destination.levels[level] for level in world.destination_levels] == [4] * 5
    # And the link's report covers the whole sweep, from when its first part started
    report = world.links.links["link-1"].last_sweep
    assert report is not None
    assert (report.ran_at, report.variants_checked, report.variants_corrected, report.largest_difference) == (
        NOW,
        5,
        2,
        7,
    )
    # And the link's figures count the drift found and corrected, each part's once, in the hour it ran
    [day] = world.figures.days("LINK#link-1", NOW.date(), NOW.date())
    assert day.counters == {f"{NOW.hour:02d}#drift_found": 2, f"{NOW.hour:02d}#drift_corrected": 2}


def test_a_sale_between_the_sweeps_read_and_its_write_is_kept_and_the_level_set_from_a_new_read() -> None:
    # Given a drifted destination (7, its source says 4) that sells one right after the sweep read it
    world = World(source_levels=[5], destination_levels=[7])
    level = world.destination_levels[0]
    read = world.destination.read_available

    def read_then_sell(levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        found = read(levels)
        world.destination.levels[level] -= 1
        return found

    world.destination.read_available = read_then_sell  # type: ignore[method-assign]
    # When the link is swept
    world.run_until_done()
    # Then the compare-and-set against 7 found 6 (stale), and the level was set again from what it then held
    assert world.destination.levels[level] == 4
    report = world.links.links["link-1"].last_sweep
    assert report is not None
    assert report.variants_corrected == 1


def test_a_sweep_that_reaches_a_store_needing_attention_resumes_its_parked_work() -> None:
    # Given a destination that refused storelink (its merchant has since re-approved the app in Shopify), with
    # a stock change parked meanwhile
    world = World(source_levels=[5], destination_levels=[4])
    world.stores.set_attention("destination", Attention(reason="MissingScope: write_inventory", since=NOW))
    parked = ParkedMessage(message_id="m-1", queue_arn="arn:stock", body="{}", reason="MissingScope", parked_at=NOW)
    world.parked.park("destination", parked)
    # When the 15-minute sweep reaches it, and it answers
    world.run_until_done()
    # Then it no longer needs attention, and the parked change is back on its queue
    assert world.stores.stores["destination"].needs_attention is None
    assert world.queues.sent_again == [parked]
    assert world.parked.parked("destination") == []


def test_a_sweep_subscribes_again_the_webhooks_a_store_lost_and_only_those() -> None:
    # Given stores registered with their webhook address, the destination's webhooks all gone (disabled by its
    # platform after failed deliveries), the source's all there
    world = World(source_levels=[5], destination_levels=[4])
    for store_id in ("source", "destination"):
        world.stores.stores[store_id] = a_store(
            store_id, webhook_url=f"https://api.example/webhooks/shopify/{store_id}"
        )
    world.source.webhooks["https://api.example/webhooks/shopify/source"] = {"stock", "orders"}
    # When the link is swept
    world.run_until_done()
    # Then the destination's topics are subscribed again at its address, and the source's are left as they were
    assert world.destination.webhooks == {"https://api.example/webhooks/shopify/destination": {"stock", "orders"}}
    assert world.source.webhooks == {"https://api.example/webhooks/shopify/source": {"stock", "orders"}}


def test_a_store_that_cannot_say_its_webhooks_does_not_stop_the_sweep() -> None:
    # Given a destination that times out when asked about its webhooks
    world = World(source_levels=[10], destination_levels=[4])
    world.stores.stores["destination"] = a_store("destination", webhook_url="https://api.example/webhooks/x")
    world.destination.webhooks_down = True
    # When the link is swept, Then its drift is still corrected (10 less the buffer of 1)
    world.run_until_done()
    assert world.destination.levels == {world.destination_levels[0]: 9}
