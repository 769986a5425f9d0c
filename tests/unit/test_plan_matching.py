"""Automatic matching within the destination's synced-products cap, on in-memory fakes (docs/plans.md): a link's
catalogues map up to the cap and leave the rest unmapped saying so, nothing already synced is unmapped, and the
hourly release has the link matched again once the plan has room."""

from datetime import UTC, datetime

import pytest

from storelink.domain.events import ProductChanged, VariantSeen
from storelink.domain.links import LinkStatus
from storelink.domain.matching import MatchState, VariantMatch
from storelink.domain.messages import CatalogueMatchRequested
from storelink.domain.plans import PlanCatalogue, held_at_plan_limit, within_synced_products
from storelink.ports import LinkedStores
from storelink.services.catalogue_import import PLAN_LIMIT_COUNT, CatalogueImport, ProductRematching, entry_of
from storelink.services.plans import HeldMatches, MatchingWithinPlan, PlanLimits
from tests.builders import a_link, a_store, a_variant
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeHealthReports,
    FakeLinkBook,
    FakePlanCounters,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    RecordingJobs,
    RecordingQueue,
)

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
PLANS = PlanCatalogue.from_json('{"two": {"synced_products": 2}, "three": {"synced_products": 3}}')
SKUS = ("A", "B", "C")


class NoCheckpoints:
    def resume_later(self, checkpoint: object, delay_seconds: int) -> None:
        raise AssertionError("small catalogues are matched inline")


class World:
    """A source and a destination selling shirts A, B and C, linked; the destination on plan `two`."""

    def __init__(self) -> None:
        self.stores = FakeStores({"source": a_store("source"), "destination": a_store("destination", plan="two")})
        self.links = FakeLinkBook()
        self.links.add(a_link("link-1"))
        self.sku_maps = FakeSkuMaps()
        self.destination = FakeConnector(variants=[a_variant(f"d-{sku}", sku=sku) for sku in SKUS])
        connectors = FakeConnectors(
            {
                "source": FakeConnector(variants=[a_variant(f"s-{sku}", sku=sku) for sku in SKUS]),
                "destination": self.destination,
            }
        )
        linked = LinkedStores(
            stores=self.stores, links=self.links, sku_maps=self.sku_maps, connectors=connectors, now=lambda: NOW
        )
        self.counters = FakePlanCounters()
        self.limits = PlanLimits(stores=self.stores, links=self.links, sku_maps=self.sku_maps, catalogue=PLANS)
        plans = MatchingWithinPlan(limits=self.limits, counters=self.counters)
        self.catalogue = CatalogueImport(
            linked=linked,
            health=FakeHealthReports(),
            checkpoints=NoCheckpoints(),  # type: ignore[arg-type]
            waiting=FakeWaitingOrders(),
            events=RecordingQueue(),
            plans=plans,
        )
        self.rematching = ProductRematching(linked=linked, plans=plans)
        self.asked = RecordingJobs[CatalogueMatchRequested]()
        self.release = HeldMatches(limits=self.limits, links=self.links, counters=self.counters, matches=self.asked)

    def states(self) -> dict[str, str]:
        return {entry.destination_variant_id: entry.state for entry in self.sku_maps.all_of("link-1")}

    def plan(self, name: str | None) -> None:
        self.stores.stores["destination"] = a_store("destination", plan=name)


@pytest.fixture
def world() -> World:
    return World()


def test_a_link_maps_up_to_the_cap_and_leaves_the_rest_unmapped_saying_why(world: World) -> None:
    # When the link's catalogues are matched, 3 shirts alike on a plan of 2 synced products
    progress = world.catalogue.import_link("link-1")
    # Then the first 2 are mapped, in catalogue order, and the third is left unmatched for the plan limit
    assert world.states() == {"d-A": "matched", "d-B": "matched", "d-C": "unmatched"}
    [held] = [entry for entry in world.sku_maps.all_of("link-1") if entry.state == "unmatched"]
    assert held.reason == "plan limit: the 2 synced products of plan two are used; matched when your plan rises"
    # And the link's outcome counts it among the unmatched, and as held at the plan limit
    assert progress is not None
    assert progress.counts == {"matched": 2, "unmatched": 1, PLAN_LIMIT_COUNT: 1}
    # And the link is noted for the hourly release
    assert world.counters.links_holding_matches() == {"link-1": "destination"}


def test_the_release_waits_while_the_plan_is_full_and_the_rest_is_mapped_when_it_rises(world: World) -> None:
    # Given the link matched at its cap
    world.catalogue.import_link("link-1")
    # When the hourly release runs while the plan is still full, Then it asks for nothing
    assert world.release.release() == 0
    # When the operator raises the plan to 3 and the release runs, Then the link is matched again
    world.plan("three")
    assert world.release.release() == 1
    assert world.asked.jobs == [CatalogueMatchRequested(link_id="link-1")]
    world.catalogue.import_link("link-1")
    # And all 3 are mapped, and the link is no longer noted
    assert world.states() == {"d-A": "matched", "d-B": "matched", "d-C": "matched"}
    assert world.counters.links_holding_matches() == {}
    assert world.release.release() == 0


def test_a_plan_lowered_below_its_usage_unmaps_nothing_already_synced(world: World) -> None:
    # Given all 3 mapped under a plan without a cap
    world.plan(None)
    world.catalogue.import_link("link-1")
    assert set(world.states().values()) == {"matched"}
    # When the plan is lowered to 2 and the catalogues are matched again (a reconnection)
    world.plan("two")
    world.catalogue.import_link("link-1")
    # Then all 3 stay mapped: stock keeps flowing for what already synced; only new ones are refused
    assert set(world.states().values()) == {"matched"}
    assert world.counters.links_holding_matches() == {}


def test_other_links_of_the_destination_take_their_share_of_the_cap(world: World) -> None:
    # Given a second source's link to the destination with one variant mapped there
    other = a_link("link-0", source_store_id="other")
    world.links.add(other)
    world.sku_maps.add(entry_of(other, _match("Z")))
    # When link-1's catalogues are matched, Then only one of its shirts fits the plan's 2
    world.catalogue.import_link("link-1")
    assert world.states() == {"d-A": "matched", "d-B": "unmatched", "d-C": "unmatched"}


def test_a_changed_product_is_matched_again_within_the_cap_and_a_held_variant_stays_held(world: World) -> None:
    # Given the link matched at its cap (C held)
    world.catalogue.import_link("link-1")
    world.counters.matches_held.clear()
    # When the destination changes product C (its variant still C), while the plan is full
    changed = ProductChanged(
        store_id="destination",
        delivery_id="products/update#1",
        product_id="product-of-d-C",
        variants=(VariantSeen(variant_id="d-C", inventory_item_id="item-of-d-C", sku="C", barcode=None),),
    )
    world.rematching.product_changed(changed)
    # Then C stays unmapped for the plan limit, and the link is noted again
    assert world.states()["d-C"] == "unmatched"
    assert world.counters.links_holding_matches() == {"link-1": "destination"}
    # When product A changes, Then A, matched before, stays matched
    world.rematching.product_changed(changed.model_copy(update={"product_id": "product-of-d-A", "variants": ()}))
    assert world.states()["d-A"] == "matched"
    # When the plan rises and C changes again, Then it is mapped
    world.plan("three")
    world.rematching.product_changed(changed)
    assert world.states()["d-C"] == "matched"


def test_an_ended_link_is_forgotten_by_the_release(world: World) -> None:
    # Given the link matched at its cap, then disconnected
    world.catalogue.import_link("link-1")
    world.links.add(a_link("link-1", status=LinkStatus.DISCONNECTED))
    world.plan("three")
    # When the release runs, Then it asks for nothing and forgets the link (a reconnection matches it whole)
    assert world.release.release() == 0
    assert world.counters.links_holding_matches() == {}


# -- the rule ------------------------------------------------------------------------------------------------------


def _match(variant_id: str, *, manual: bool = False) -> VariantMatch:
    return VariantMatch(
        destination=a_variant(variant_id, sku=variant_id),
        state=MatchState.MATCHED,
        source=a_variant(f"s-{variant_id}", sku=variant_id),
        reason="same SKU",
        manual=manual,
    )


def test_matched_before_and_by_hand_come_first_and_new_ones_take_what_room_is_left() -> None:
    # Given a plan of 3, none used on other links; E matched before, D mapped by hand, A, B and C new
    matches = [_match("A"), _match("B"), _match("D", manual=True), _match("C"), _match("E")]
    kept = within_synced_products(matches, PLANS.plan_of("three"), used_elsewhere=0, synced_before={"E"})
    # Then D and E stay matched and take 2 of the 3; one new (the first, A) fits; B and C are held
    assert [(m.destination.variant_id, m.state.value) for m in kept] == [
        ("A", "matched"),
        ("B", "unmatched"),
        ("D", "matched"),
        ("C", "unmatched"),
        ("E", "matched"),
    ]
    assert [held_at_plan_limit(m.state, m.reason) for m in kept] == [False, True, False, True, False]
    assert all(m.source is None for m in kept if m.state is MatchState.UNMATCHED)
    # And with one used on another link, no new one fits: D and E still stay
    kept = within_synced_products(matches, PLANS.plan_of("three"), used_elsewhere=1, synced_before={"E"})
    assert [m.destination.variant_id for m in kept if m.state is MatchState.MATCHED] == ["D", "E"]


def test_without_a_cap_every_match_stands() -> None:
    matches = [_match("A"), _match("B")]
    assert within_synced_products(matches, PLANS.plan_of(None), used_elsewhere=10**6, synced_before=set()) == matches
