"""Disconnecting with delete_products on fakes: the answer says what will happen, the queued parts do it,
and the link's progress and history say what was done; a part run again changes nothing, a link reconnected
before its part runs loses nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from storelink.domain.links import Action, DisconnectOption, LinkStatus, SkuMapEntry
from storelink.domain.plans import PlanCatalogue
from storelink.domain.product_removal import ProductRemovalJob, ProductRemovalPlan, parts_of, plan_product_removal
from storelink.domain.stock import InventoryRef
from storelink.ports import LinkedStores
from storelink.services.links import LinkManagement
from storelink.services.plans import PlanLimits
from storelink.services.product_removal import ProductRemoval
from tests.builders import DESTINATION_LOCATION, a_link, a_product_variant, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeLinkBook,
    FakeOversells,
    FakeRegistry,
    FakeSkuMaps,
    RecordingEvents,
    RecordingJobs,
    RecordingSweeps,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def level(name: str) -> InventoryRef:
    return InventoryRef(item_id=f"i-{name}", location_id=DESTINATION_LOCATION)


class World:
    """A destination selling a shirt synced from the link's source, and a mug with one variant (Red) from it
    and one (Blue) of its own; 7 of each."""

    def __init__(self) -> None:
        self.now = NOW
        self.destination = FakeConnector(
            levels={level(name): 7 for name in ("S", "Red", "Blue")},
            variants=[
                a_product_variant("Shirt", "S"),
                a_product_variant("Mug", "Red"),
                a_product_variant("Mug", "Blue"),
            ],
        )
        self.links = FakeLinkBook({"link-1": a_link()})
        self.removals = RecordingJobs[ProductRemovalJob]()
        stores = FakeRegistry({"source": a_store("source"), "destination": a_store("destination")})
        connectors = FakeConnectors({"source": FakeConnector(), "destination": self.destination})
        sku_maps = FakeSkuMaps(
            [SkuMapEntry(link_id="link-1", destination_item_id=f"i-{n}", source_item_id=f"s-{n}") for n in ("S", "Red")]
        )
        linked = LinkedStores(
            stores=stores, links=self.links, sku_maps=sku_maps, connectors=connectors, now=lambda: self.now
        )
        self.removal = ProductRemoval(linked=linked, jobs=self.removals)
        self.management = LinkManagement(
            stores=stores,
            links=self.links,
            connectors=connectors,
            events=RecordingEvents(),
            sweeps=RecordingSweeps(),
            oversells=FakeOversells(),
            removal=self.removal,
            plans=PlanLimits(stores=stores, links=self.links, sku_maps=sku_maps, catalogue=PlanCatalogue()),
            now=lambda: self.now,
        )

    def disconnect(self) -> ProductRemovalPlan | None:
        destination = a_store("destination")
        answer = self.management.disconnect(destination, "link-1", DisconnectOption.DELETE_PRODUCTS)
        return answer.products

    def work_the_queue(self) -> None:
        for job in self.removals.jobs:
            self.removal.remove(job)

    def history(self) -> list[str]:
        return [transition.detail for transition in self.links.transitions]


@pytest.fixture
def world() -> World:
    return World()


def test_the_answer_says_what_will_happen_and_the_queue_does_it(world: World) -> None:
    # When the destination disconnects with delete_products
    plan = world.disconnect()
    # Then the answer names the shirt to delete and the mug to keep, before anything happened
    assert plan is not None
    assert ([p.title for p in plan.delete], [p.title for p in plan.set_to_zero]) == (["Shirt"], ["Mug"])
    assert [v.product_title for v in world.destination.variants] == ["Shirt", "Mug", "Mug"]
    link = world.links.links["link-1"]
    assert link.product_removal is not None
    assert (link.product_removal.state, link.product_removal.to_delete, link.product_removal.to_set_to_zero) == (
        "removing",
        1,
        1,
    )
    assert world.history() == ["delete_products: 1 product(s) to delete, 1 kept with their variants set to 0"]
    # When the queued work runs
    world.work_the_queue()
    # Then the shirt is gone, the mug's red variant shows 0 and its own blue variant keeps its 7
    assert [v.title for v in world.destination.variants] == ["Red", "Blue"]
    assert (world.destination.levels[level("Red")], world.destination.levels[level("Blue")]) == (0, 7)
    # And the link says it is done, and its history names both lists
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.state, progress.deleted, progress.set_to_zero, progress.failures) == ("done", 1, 1, {})
    assert world.history()[-1] == (
        "products deleted: Shirt (p-Shirt). products kept, their variants from this link set to 0: "
        "Mug (p-Mug): also sells variants not on this link: Blue"
    )


def test_a_part_delivered_twice_counts_once(world: World) -> None:
    # Given the disconnect's part has run
    world.disconnect()
    world.work_the_queue()
    entries = len(world.history())
    # When SQS delivers it again
    world.work_the_queue()
    # Then nothing more is counted or recorded
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.deleted, progress.set_to_zero, len(world.history())) == (1, 1, entries)


def test_a_part_whose_recording_was_lost_runs_again_and_deleting_what_is_gone_is_done(world: World) -> None:
    # Given a part that deleted the shirt but failed before the link recorded it
    world.disconnect()
    [job] = world.removals.jobs
    world.destination.delete_product("p-Shirt")
    # When the queue runs it again, Then the shirt counts as deleted, and nothing fails
    world.removal.remove(job)
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.state, progress.deleted, progress.failures) == ("done", 1, {})


def test_a_product_given_a_new_variant_since_the_plan_is_kept_at_zero_not_deleted(world: World) -> None:
    # Given a disconnect that planned to delete the shirt
    world.disconnect()
    # When the merchant adds a variant of its own to the shirt before the part runs
    world.destination.variants.append(a_product_variant("Shirt", "XL"))
    world.destination.levels[level("XL")] = 3
    world.work_the_queue()
    # Then the shirt is kept: its linked variant set to 0, its new one untouched, and named with why
    assert [v.title for v in world.destination.variants_of_product("p-Shirt")] == ["S", "XL"]
    assert (world.destination.levels[level("S")], world.destination.levels[level("XL")]) == (0, 3)
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.deleted, progress.set_to_zero) == (0, 2)
    assert "Shirt (p-Shirt): now also sells variants not on this link: XL" in world.history()[-1]


def test_a_part_left_over_from_an_earlier_disconnect_does_nothing(world: World) -> None:
    # Given a disconnect whose part is still queued, then a reconnect and a second disconnect an hour later
    world.disconnect()
    [leftover] = world.removals.jobs
    world.management.act(a_store("destination"), "link-1", Action.RECONNECT)
    world.now = NOW + timedelta(hours=1)
    world.disconnect()
    # When the earlier part is delivered, Then it counts for nothing and deletes nothing
    world.removal.remove(leftover)
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.started_at, progress.parts_done) == (world.now, frozenset())
    assert len(world.destination.variants) == 3


def test_a_link_reconnected_before_its_part_runs_loses_nothing(world: World) -> None:
    # Given a disconnect whose part is still queued, When the destination reconnects
    world.disconnect()
    world.management.act(a_store("destination"), "link-1", Action.RECONNECT)
    world.work_the_queue()
    # Then no product was deleted or zeroed
    assert world.links.links["link-1"].status is LinkStatus.CONNECTED
    assert len(world.destination.variants) == 3
    assert world.destination.levels[level("Red")] == 7


def test_a_product_the_store_refuses_to_delete_is_named_and_the_rest_is_done(world: World) -> None:
    # Given a store that refuses to delete the shirt
    world.destination.refused_deletes["p-Shirt"] = "product delete refused: Product is suspended"
    # When the disconnect's work runs
    world.disconnect()
    world.work_the_queue()
    # Then the mug is still set to 0, and the shirt is named with the store's reason
    assert world.destination.levels[level("Red")] == 0
    progress = world.links.links["link-1"].product_removal
    assert progress is not None
    assert (progress.state, progress.deleted) == ("done", 0)
    assert progress.failures == {"Shirt (p-Shirt)": "product delete refused: Product is suspended"}


def test_a_large_plan_is_queued_in_parts_of_50() -> None:
    # Given 120 products to delete and 10 to keep
    catalogue = [a_product_variant(f"P{n}", f"V{n}") for n in range(130)] + [
        a_product_variant(f"P{n}", f"X{n}") for n in range(120, 130)
    ]
    mapped = [SkuMapEntry(link_id="l", destination_item_id=f"i-V{n}", source_item_id="s") for n in range(130)]
    plan = plan_product_removal(mapped, [], catalogue)
    # When it is cut into parts, Then 3 parts carry every product once, numbered from 0
    parts = parts_of("l", plan, NOW)
    assert [job.part for job in parts] == [0, 1, 2]
    assert [len(job.delete) + len(job.set_to_zero) for job in parts] == [50, 50, 30]
    assert sum(len(job.set_to_zero) for job in parts) == 10


def test_parts_also_stay_within_500_variants_a_product_larger_alone() -> None:
    # Given a product of 300 mapped variants, one of 600 and one of 1
    sizes = {"Big": 300, "Huge": 600, "Small": 1}
    catalogue = [a_product_variant(name, f"{name}{n}") for name, size in sizes.items() for n in range(size)]
    mapped = [SkuMapEntry(link_id="l", destination_item_id=v.inventory_item_id, source_item_id="s") for v in catalogue]
    # When the plan is cut into parts, Then the huge product goes alone, and no part exceeds 500 otherwise
    parts = parts_of("l", plan_product_removal(mapped, [], catalogue), NOW)
    assert [[product.title for product in job.delete] for job in parts] == [["Big"], ["Huge"], ["Small"]]
