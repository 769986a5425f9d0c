"""Linking as the seeds describe it, on in-memory fakes: who may link, grant, block, disconnect, change what."""

import pytest

from storelink import bootstrap
from storelink.domain.credentials import digest
from storelink.domain.links import Action, DisconnectOption, LinkMode, LinkStatus, SkuMapEntry, StockRules
from storelink.domain.product_removal import ProductRemovalJob
from storelink.domain.stores import STORE_KEPT_SECONDS
from storelink.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from storelink.ports import LinkedStores
from storelink.services.links import SWEEP_ONCE_SYNCING_SECONDS, LinkRequest, LinkSettingsChange
from storelink.settings import LinkManagementSettings
from tests.builders import a_product_variant, a_store
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

STORES = ("alpha", "beta", "gamma")
CODE = {store_id: f"{store_id.upper()[:4]:X<4}-CODE-0000" for store_id in STORES}


class World:
    def __init__(self) -> None:
        self.stores = {store_id: a_store(store_id) for store_id in STORES}
        self.links = FakeLinkBook()
        self.events = RecordingEvents()
        self.sweeps = RecordingSweeps()
        self.sku_maps = FakeSkuMaps()
        self.removals = RecordingJobs[ProductRemovalJob]()
        registry = FakeRegistry(self.stores, codes={digest(code): store_id for store_id, code in CODE.items()})
        self.connectors = FakeConnectors(
            {store_id: FakeConnector(location_ids=(f"{store_id}-warehouse",)) for store_id in STORES}
        )
        # The management API's own wiring, on fakes: its product removal works on the same stores and links.
        self.service = bootstrap.link_management(
            LinkManagementSettings.model_construct(),
            linked=LinkedStores(stores=registry, links=self.links, sku_maps=self.sku_maps, connectors=self.connectors),
            registry=registry,
            events=self.events,
            sweeps=self.sweeps,
            removals=self.removals,
            oversells=FakeOversells(),
        )

    def request(self, source: str, destination: str, **fields: object) -> str:
        request = LinkRequest.model_validate(
            {
                "verification_code": CODE[destination],
                "channel_name": f"{source} to {destination}",
                "locations": {f"{source}-warehouse": f"{destination}-warehouse"},
                **fields,
            }
        )
        return self.service.request(self.stores[source], request).link_id

    def link(self, source: str, destination: str) -> str:
        link_id = self.request(source, destination)
        self.service.act(self.stores[destination], link_id, Action.GRANT)
        return link_id


@pytest.fixture
def world() -> World:
    return World()


def test_the_source_asks_with_the_destinations_code_and_the_link_waits(world: World) -> None:
    # When alpha asks to link to beta with beta's verification code
    link_id = world.request("alpha", "beta")
    # Then the link is pending, and the request is recorded as alpha's
    link = world.links.links[link_id]
    assert (link.status, link.source_store_id, link.destination_store_id) == (LinkStatus.PENDING, "alpha", "beta")
    assert [(t.by_store_id, t.to_status, t.detail) for t in world.links.transitions] == [
        ("alpha", LinkStatus.PENDING, "requested")
    ]


def test_a_code_typed_loosely_still_works(world: World) -> None:
    link = world.service.request(
        world.stores["alpha"],
        LinkRequest(
            verification_code=CODE["beta"].lower().replace("-", " "),
            channel_name="web",
            locations={"alpha-warehouse": "beta-warehouse"},
        ),
    )
    assert link.destination_store_id == "beta"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"verification_code": "NOPE-NOPE-NOPE"}, "not any store's current code"),
        ({"verification_code": CODE["alpha"]}, "itself"),
        ({"locations": {"alpha-warehouse": "beta-shop"}}, "beta has no location beta-shop"),
        ({"locations": {"alpha-annex": "beta-warehouse"}}, "alpha has no location alpha-annex"),
    ],
    ids=["unknown code", "own code", "unknown destination location", "unknown source location"],
)
def test_bad_requests_are_refused_naming_the_problem(world: World, fields: dict, reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        world.request("alpha", "beta", **fields)
    assert world.links.links == {}


def test_granting_connects_the_link_and_tells_the_other_capabilities(world: World) -> None:
    link_id = world.request("alpha", "beta")
    link = world.service.act(world.stores["beta"], link_id, Action.GRANT)
    assert link.status is LinkStatus.CONNECTED
    [(detail_type, detail)] = world.events.published
    assert (detail_type, detail["link_id"], detail["by_store_id"]) == ("LinkGranted", link_id, "beta")


def test_the_source_cannot_grant_and_a_stranger_cannot_even_see(world: World) -> None:
    link_id = world.request("alpha", "beta")
    with pytest.raises(NotAllowed, match="only the destination"):
        world.service.act(world.stores["alpha"], link_id, Action.GRANT)
    with pytest.raises(NotFound):
        world.service.act(world.stores["gamma"], link_id, Action.GRANT)
    with pytest.raises(NotFound):
        world.service.get(world.stores["gamma"], link_id)


def test_an_action_at_the_wrong_time_answers_with_the_current_status(world: World) -> None:
    link_id = world.link("alpha", "beta")
    with pytest.raises(Conflict) as refused:
        world.service.act(world.stores["beta"], link_id, Action.RECONNECT)
    assert refused.value.details == {"current_status": LinkStatus.CONNECTED}


def test_one_live_link_per_pair(world: World) -> None:
    link_id = world.request("alpha", "beta")
    with pytest.raises(Conflict, match=link_id):
        world.request("alpha", "beta")


def test_a_denied_link_may_be_asked_for_again(world: World) -> None:
    link_id = world.request("alpha", "beta")
    world.service.act(world.stores["beta"], link_id, Action.DENY)
    assert world.request("alpha", "beta") != link_id


def test_a_sub_store_has_one_source_only(world: World) -> None:
    # Given beta a sub-store of alpha
    world.request("alpha", "beta", mode=LinkMode.SUB_STORE)
    # Then gamma cannot become beta's source
    with pytest.raises(Conflict, match="sub-store of alpha"):
        world.request("gamma", "beta")


def test_a_sub_store_link_needs_a_destination_without_sources(world: World) -> None:
    world.request("alpha", "beta")
    with pytest.raises(Conflict, match="no other source"):
        world.request("gamma", "beta", mode=LinkMode.SUB_STORE)


def test_chains_are_allowed_and_cycles_refused(world: World) -> None:
    # Given alpha → beta and beta → gamma (a chain, like Shopdesk → OE → Shopify)
    world.link("alpha", "beta")
    world.link("beta", "gamma")
    # Then gamma → alpha would close a cycle, and is refused
    with pytest.raises(Conflict, match="cycle"):
        world.request("gamma", "alpha")


def test_each_party_changes_only_its_own_settings(world: World) -> None:
    link_id = world.link("alpha", "beta")
    # The source sets its buffer; the link's version moves on
    changed = world.service.change_settings(
        world.stores["alpha"], link_id, LinkSettingsChange(stock=StockRules(buffer=2))
    )
    assert (changed.stock.buffer, changed.version) == (2, 3)
    # The destination may not touch the source's stock rules
    with pytest.raises(NotAllowed, match="stock"):
        world.service.change_settings(world.stores["beta"], link_id, LinkSettingsChange(stock=StockRules(buffer=0)))


def test_a_removed_store_leaves_its_links_disconnected(world: World) -> None:
    connected, pending = world.link("alpha", "beta"), world.request("gamma", "alpha")
    ended = world.service.end_links_of(world.stores["alpha"], "store removed")
    assert {link.link_id for link in ended} == {connected, pending}
    assert {world.links.links[i].status for i in (connected, pending)} == {LinkStatus.DISCONNECTED}
    assert world.links.transitions[-1].detail == "store removed"


def test_disconnecting_with_zero_stock_queues_the_sweep_that_zeroes_it(world: World) -> None:
    # Given a connected link, When the destination disconnects keeping the products at zero stock
    link_id = world.link("alpha", "beta")
    before = len(world.sweeps.sent)
    world.service.act(world.stores["beta"], link_id, Action.DISCONNECT, DisconnectOption.KEEP_PRODUCTS_ZERO_STOCK)
    # Then the sweep that sets them to 0 is queued, and no product is removed
    assert world.sweeps.sent[before:] == [link_id]
    assert world.removals.jobs == []


@pytest.mark.parametrize(
    ("steps", "swept"),
    [
        ([("beta", Action.GRANT)], True),
        ([("beta", Action.GRANT), ("alpha", Action.BLOCK), ("alpha", Action.UNBLOCK)], True),
        ([("beta", Action.GRANT), ("beta", Action.DISCONNECT), ("beta", Action.RECONNECT)], True),
        ([("beta", Action.GRANT), ("alpha", Action.BLOCK)], False),
        ([("beta", Action.GRANT), ("beta", Action.DISCONNECT)], False),
        ([("beta", Action.DENY)], False),
    ],
    ids=["granted", "unblocked", "reconnected", "blocked", "disconnected", "denied"],
)
def test_a_link_that_starts_syncing_is_swept_once_no_ingress_can_know_its_source_as_none(
    world: World, steps: list[tuple[str, Action]], swept: bool
) -> None:
    # Given a link asked for, and its earlier steps taken
    link_id = world.request("alpha", "beta")
    *earlier, (store_id, action) = steps
    for party, step in earlier:
        world.service.act(world.stores[party], link_id, step)
    before = len(world.sweeps.sent)
    # When the last step is taken
    world.service.act(world.stores[store_id], link_id, action)
    # Then a link that now syncs stock is swept once the webhook ingress has read its source again (it may answer
    # the source's changes as no source's for STORE_KEPT_SECONDS), and no other is
    sent = (world.sweeps.sent[before:], world.sweeps.delays[before:])
    assert sent == (([link_id], [SWEEP_ONCE_SYNCING_SECONDS]) if swept else ([], []))
    assert SWEEP_ONCE_SYNCING_SECONDS > STORE_KEPT_SECONDS


def test_either_party_may_ask_for_a_sweep_of_a_connected_link_only(world: World) -> None:
    link_id = world.request("alpha", "beta")
    with pytest.raises(Conflict, match="only a connected link"):
        world.service.sweep_now(world.stores["alpha"], link_id)
    world.service.act(world.stores["beta"], link_id, Action.GRANT)
    before = len(world.sweeps.sent)
    world.service.sweep_now(world.stores["alpha"], link_id)
    world.service.sweep_now(world.stores["beta"], link_id)
    assert world.sweeps.sent[before:] == [link_id, link_id]


def test_a_dry_run_of_deleting_products_names_both_lists_and_changes_nothing(world: World) -> None:
    # Given beta sells a shirt fully synced from alpha, and a mug with one variant alpha does not have
    link_id = world.link("alpha", "beta")
    world.connectors.by_store["beta"].variants = [
        a_product_variant("Shirt", "S"),
        a_product_variant("Mug", "Red"),
        a_product_variant("Mug", "Blue"),
    ]
    for variant in ("S", "Red"):
        world.sku_maps.add(
            SkuMapEntry(link_id=link_id, destination_item_id=f"i-{variant}", source_item_id=f"a-{variant}")
        )
    transitions, events, sweeps = len(world.links.transitions), len(world.events.published), len(world.sweeps.sent)
    # When beta asks for a dry run of disconnecting with delete_products
    answer = world.service.disconnect(world.stores["beta"], link_id, DisconnectOption.DELETE_PRODUCTS, dry_run=True)
    # Then the answer names the shirt to delete and the mug kept with its red variant set to 0
    assert answer.products is not None
    assert [p.title for p in answer.products.delete] == ["Shirt"]
    assert [(p.title, p.variant_ids) for p in answer.products.set_to_zero] == [("Mug", ("v-Red",))]
    # And nothing changed: the link is still connected, nothing recorded, published or queued
    assert answer.dry_run
    assert answer.status is LinkStatus.CONNECTED
    assert world.links.links[link_id].status is LinkStatus.CONNECTED
    assert (len(world.links.transitions), len(world.events.published), len(world.sweeps.sent)) == (
        transitions,
        events,
        sweeps,
    )


def test_only_the_destination_may_even_dry_run_a_disconnect(world: World) -> None:
    link_id = world.link("alpha", "beta")
    with pytest.raises(NotAllowed, match="destination"):
        world.service.disconnect(world.stores["alpha"], link_id, DisconnectOption.DELETE_PRODUCTS, dry_run=True)
