"""The sweep of large links on fakes with bulk operations: each side read once, the source once for all its links,
the reads polled from the queue, only the differences read again live and written, the links spread over the
window."""

from datetime import UTC, datetime

from storelink.domain.links import CatalogueProgress, LinkStatus, SkuMapEntry, StockRules
from storelink.domain.messages import SourceSweep, SweepJob
from storelink.domain.stock import InventoryRef
from storelink.ports import LinkedStores
from storelink.services.bulk_reads import MAX_BULK_RESTARTS
from storelink.services.stock_sweep import SPREAD_SECONDS, StockSweep, SweepSchedule
from storelink.services.store_attention import StoreAttention
from tests.builders import DESTINATION_LOCATION, SOURCE_LOCATION, a_link, a_store
from tests.fakes import (
    FakeBulkStore,
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeLinkBook,
    FakeParkedWork,
    FakeSkuMaps,
    FakeStores,
    FakeWorkQueues,
    RecordingJobs,
    RecordingSweeps,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LARGE = 3_000  # above BULK_SWEEP_LEVELS: more than one page of SKU-map entries
SOURCE_LEVEL = 10  # every source level; the link keeps a buffer of 1, so every destination should show 9


def source_level(n: int) -> InventoryRef:
    return InventoryRef(item_id=f"s{n}", location_id=SOURCE_LOCATION)


def destination_level(destination: str, n: int) -> InventoryRef:
    return InventoryRef(item_id=f"{destination}-d{n}", location_id=DESTINATION_LOCATION)


class Source:
    """A source of `variants` levels linked to each of `destinations`, every link matched by its catalogue
    import; `drifted` maps a destination to the levels that differ from the source there (index -> level)."""

    def __init__(
        self,
        destinations: dict[str, dict[int, int]],
        variants: int = LARGE,
        entries_per_part: int = 2_500,
        bulk_destination: bool = True,
    ) -> None:
        self.source = FakeBulkStore({source_level(n): SOURCE_LEVEL for n in range(variants)}, runs_for=2)
        self.destinations: dict[str, FakeConnector] = {}
        links, entries = FakeLinkBook(), FakeSkuMaps([])
        for destination, drifted in destinations.items():
            levels = {destination_level(destination, n): drifted.get(n, SOURCE_LEVEL - 1) for n in range(variants)}
            self.destinations[destination] = FakeBulkStore(levels) if bulk_destination else FakeConnector(levels)
            link_id = f"link-{destination}"
            matched = CatalogueProgress(state="matched", at=NOW, counts={"matched": variants})
            links.add(a_link(link_id, destination_store_id=destination, stock=StockRules(buffer=1), catalogue=matched))
            entries.entries += [
                SkuMapEntry(link_id=link_id, source_item_id=f"s{n}", destination_item_id=f"{destination}-d{n}")
                for n in range(variants)
            ]
        self.links, self.jobs, self.figures = links, RecordingSweeps(), FakeFigures()
        self.stores = FakeStores({store: a_store(store) for store in ["source", *destinations]})
        self.sweep = StockSweep(
            linked=LinkedStores(
                stores=self.stores,
                links=links,
                sku_maps=entries,
                connectors=FakeConnectors({"source": self.source, **self.destinations}),
                now=lambda: NOW,
            ),
            next_parts=self.jobs,
            attention=StoreAttention(self.stores, FakeParkedWork(), FakeWorkQueues()),
            figures=self.figures,
            entries_per_part=entries_per_part,
        )

    def run(self, first: SourceSweep | SweepJob) -> list[int]:
        """Work `first` and every job it queues, as the sweep queue would; returns each queued job's delay."""
        if isinstance(first, SourceSweep):
            self.sweep.sweep_source(first)
        else:
            self.sweep.sweep(first)
        delays = []
        while self.jobs.jobs:
            job, delay = self.jobs.jobs.pop(0), self.jobs.delays.pop(0)
            delays.append(delay)
            self.sweep.sweep(job)
        return delays


def test_a_large_link_is_read_once_a_side_in_bulk_and_only_its_differences_are_read_again_and_written() -> None:
    # Given a link of 3,000 variants between two stores with bulk operations, 3 destination levels drifted
    world = Source({"shop-b": {7: 4, 1_500: 0, 2_999: 30}})
    destination = world.destinations["shop-b"]
    assert isinstance(destination, FakeBulkStore)
    # When the link is swept (its bulk reads still running at the first two looks)
    delays = world.run(SweepJob(link_id="link-shop-b"))
    # Then each store was read once in bulk, the job came back at once, then after 5 s and 10 s
    assert (len(world.source.exports), len(destination.exports)) == (1, 1)
    assert delays == [0, 5, 10]
    # And only the three differing levels were read again live, a call a side, and corrected
    drifted = [destination_level("shop-b", n) for n in (7, 1_500, 2_999)]
    assert destination.live_reads == [drifted]
    assert world.source.live_reads == [[source_level(n) for n in (7, 1_500, 2_999)]]
    assert all(destination.levels[level] == SOURCE_LEVEL - 1 for level in drifted)
    # And the link's report covers every level, from when the sweep started
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert (report.ran_at, report.variants_checked, report.variants_corrected, report.largest_difference) == (
        NOW,
        3_000,
        3,
        21,
    )


def test_a_bulk_read_that_ended_without_a_result_is_started_again_and_the_link_swept() -> None:
    # Given a large link whose destination's first bulk read ends FAILED on Shopify's side
    world = Source({"shop-b": {7: 4}})
    destination = world.destinations["shop-b"]
    assert isinstance(destination, FakeBulkStore)
    destination.failing_exports = 1
    # When the link is swept
    delays = world.run(SweepJob(link_id="link-shop-b"))
    # Then the destination was read again (the source's read kept), looked at 5 s after it started again
    assert (len(world.source.exports), len(destination.exports)) == (1, 2)
    assert delays[-1] == 5
    # And the drift was corrected, the report naming no failure
    assert destination.levels[destination_level("shop-b", 7)] == SOURCE_LEVEL - 1
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert (report.variants_corrected, report.failures) == (1, {})


def test_bulk_reads_that_keep_failing_end_the_round_with_the_reason_on_the_link_and_nothing_dead_lettered() -> None:
    # Given a large link whose destination's bulk reads all end FAILED
    world = Source({"shop-b": {7: 4}})
    destination = world.destinations["shop-b"]
    assert isinstance(destination, FakeBulkStore)
    destination.failing_exports = 100
    # When the link is swept (no job raises: the queue has nothing to retry)
    world.run(SweepJob(link_id="link-shop-b"))
    # Then the read was started again twice, then given up until the next sweep, nothing written
    assert len(destination.exports) == 1 + MAX_BULK_RESTARTS
    assert destination.set_calls == []
    # And the link's last sweep says why
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert report.failures == {"bulk read": "Shopify's bulk operation ended FAILED (export-2)"}


def test_the_source_of_several_links_is_read_once_a_sweep_and_its_links_are_spread_over_the_window() -> None:
    # Given a source linked to three destinations of 3,000 variants, one drifted level each
    world = Source({"shop-b": {1: 0}, "shop-c": {2: 0}, "shop-d": {3: 0}})
    # When the 15-minute schedule's job for the source is worked, and every job it queues
    delays = world.run(SourceSweep(kind="sweep_source", source_store_id="source"))
    # Then the links start a third of the spread apart
    assert delays[:3] == [0, SPREAD_SECONDS // 3, 2 * SPREAD_SECONDS // 3]
    # And the source was read in bulk once for the three, each destination once, and every drift corrected
    assert len(world.source.exports) == 1
    assert all(len(store.exports) == 1 for store in world.destinations.values() if isinstance(store, FakeBulkStore))
    for name, n in (("shop-b", 1), ("shop-c", 2), ("shop-d", 3)):
        assert world.destinations[name].levels[destination_level(name, n)] == SOURCE_LEVEL - 1
        report = world.links.links[f"link-{name}"].last_sweep
        assert report is not None
        assert (report.variants_checked, report.variants_corrected) == (3_000, 1)


def test_a_clean_large_link_reads_nothing_live_and_writes_nothing() -> None:
    world = Source({"shop-b": {}})
    world.run(SweepJob(link_id="link-shop-b"))
    destination = world.destinations["shop-b"]
    assert isinstance(destination, FakeBulkStore)
    assert (destination.live_reads, destination.set_calls, world.source.live_reads) == ([], [], [])
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert (report.variants_checked, report.variants_corrected) == (3_000, 0)


def test_a_level_that_moved_since_its_bulk_read_is_read_again_and_not_set_from_the_older_number() -> None:
    # Given a destination level that differed when read in bulk (4), and that the hot path has set to its
    # source's 9 since
    world = Source({"shop-b": {5: 4}})
    destination = world.destinations["shop-b"]
    level = destination_level("shop-b", 5)
    read_in_bulk = destination.levels_export  # type: ignore[attr-defined]

    def then_set_by_the_hot_path(url: str) -> dict[InventoryRef, int]:
        exported = read_in_bulk(url)
        destination.levels[level] = SOURCE_LEVEL - 1
        return exported

    destination.levels_export = then_set_by_the_hot_path  # type: ignore[attr-defined]
    # When the link is swept
    world.run(SweepJob(link_id="link-shop-b"))
    # Then the level was read again live, found right, and not written
    assert destination.set_calls == []
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert report.variants_corrected == 0


def test_a_heavily_drifted_large_link_is_written_in_parts_reported_once() -> None:
    # Given a large link with 5 drifted levels, a part holding at most 2 differences
    world = Source({"shop-b": {0: 1, 1: 2, 2: 3, 3: 4, 4: 5}}, variants=10, entries_per_part=2)
    world.links.links["link-shop-b"] = world.links.links["link-shop-b"].model_copy(
        update={"catalogue": CatalogueProgress(state="matched", at=NOW, counts={"matched": LARGE})}
    )
    # When the link is swept
    world.run(SweepJob(link_id="link-shop-b"))
    # Then every level shows its source's, each store read once in bulk, and the report covers all parts
    destination = world.destinations["shop-b"]
    assert isinstance(destination, FakeBulkStore)
    assert all(quantity == SOURCE_LEVEL - 1 for quantity in destination.levels.values())
    assert (len(world.source.exports), len(destination.exports)) == (1, 1)
    assert [len(reads) for reads in destination.live_reads] == [2, 2, 1]
    report = world.links.links["link-shop-b"].last_sweep
    assert report is not None
    assert (report.variants_checked, report.variants_corrected, report.largest_difference) == (10, 5, 8)
    # And the link's figures count the drift each part found and corrected
    [day] = world.figures.days("LINK#link-shop-b", NOW.date(), NOW.date())
    assert day.counters == {f"{NOW.hour:02d}#drift_found": 5, f"{NOW.hour:02d}#drift_corrected": 5}


def test_a_large_link_to_a_store_without_bulk_operations_keeps_its_paged_parts() -> None:
    # Given a large link whose destination's platform has no bulk operation (WooCommerce, ShopWired)
    world = Source({"shop-b": {9: 0}}, bulk_destination=False)
    # When it is swept
    world.run(SweepJob(link_id="link-shop-b"))
    # Then neither side was read in bulk, and the drift was corrected by the paged parts
    assert world.source.exports == []
    assert len(world.source.live_reads) == 2  # two parts of 2,500 entries
    assert world.destinations["shop-b"].levels[destination_level("shop-b", 9)] == SOURCE_LEVEL - 1


def test_mid_size_links_holding_together_more_than_paging_pays_for_share_one_bulk_read_of_their_source() -> None:
    # Given a source linked to three destinations of 1,000 variants each, one drifted level each: each link below
    # the bound, 3,000 levels together
    world = Source({"shop-b": {1: 0}, "shop-c": {2: 0}, "shop-d": {3: 0}}, variants=1_000)
    # When the source's sweep runs
    world.run(SourceSweep(kind="sweep_source", source_store_id="source"))
    # Then the source was read once in bulk for the three, not paged three times, and every drift corrected
    assert len(world.source.exports) == 1
    # (live, only the one differing level of each link)
    assert sorted(level.item_id for read in world.source.live_reads for level in read) == ["s1", "s2", "s3"]
    for name, n in (("shop-b", 1), ("shop-c", 2), ("shop-d", 3)):
        assert world.destinations[name].levels[destination_level(name, n)] == SOURCE_LEVEL - 1


def test_a_small_link_is_swept_in_a_paged_part_and_its_source_not_read_in_bulk() -> None:
    # Given a link of 3 variants between stores with bulk operations
    world = Source({"shop-b": {0: 0}}, variants=3)
    world.links.links["link-shop-b"] = world.links.links["link-shop-b"].model_copy(
        update={"catalogue": CatalogueProgress(state="matched", at=NOW, counts={"matched": 3})}
    )
    # When the source's sweep runs
    world.run(SourceSweep(kind="sweep_source", source_store_id="source"))
    # Then nothing was read in bulk: paging 3 levels costs less than starting an operation
    assert world.source.exports == []
    assert world.destinations["shop-b"].levels[destination_level("shop-b", 0)] == SOURCE_LEVEL - 1


def test_the_schedule_queues_one_job_per_source_with_connected_links() -> None:
    # Given two sources, one with two connected links and one with a link still pending
    links = FakeLinkBook()
    links.add(a_link("link-1", source_store_id="source-a", destination_store_id="b"))
    links.add(a_link("link-2", source_store_id="source-a", destination_store_id="c"))
    links.add(a_link("link-3", source_store_id="source-d", destination_store_id="e", status=LinkStatus.PENDING))
    jobs = RecordingJobs[SourceSweep]()
    # When the 15-minute schedule fires
    queued = SweepSchedule(links=links, jobs=jobs).queue_every_link()
    # Then the source with connected links gets one job for both, and the count is of links
    assert (queued, jobs.jobs) == (2, [SourceSweep(kind="sweep_source", source_store_id="source-a")])
