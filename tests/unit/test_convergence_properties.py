"""Property: whatever the interleaving, duplication and delay of webhooks — source changes, destination
orders, restocking refunds (how Shopify records a cancellation's restock) and destination adjustments —
the source ends exactly where a sequential, exactly-once system puts it (no decrement doubled or lost),
and after the sweep every destination shows its source.

Runs the real services (propagation, order stock, sweep) on in-memory stores; the sandbox-store versions
of these paths are in tests/e2e.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from storelink import bootstrap
from storelink.domain.events import OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import SkuMapEntry, StockRules
from storelink.domain.messages import SweepJob
from storelink.domain.stock import InventoryRef, StockLevelChanged
from storelink.domain.stores import Platform
from storelink.ports import LinkedStores
from storelink.settings import StockWorkerSettings, SweepWorkerSettings
from tests.builders import DESTINATION_LOCATION, SOURCE_ITEM, SOURCE_LOCATION, a_link, a_store, propagate
from tests.fakes import (
    FakeAppliedLevels,
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeGiveBackLedgers,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeOversells,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    RecordingSweeps,
    store_attention,
)

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SOURCE_LEVEL = InventoryRef(item_id=SOURCE_ITEM, location_id=SOURCE_LOCATION)
DESTINATIONS = ("outlet", "market")
BUFFER = 1
INITIAL = 10

Webhook = StockLevelChanged | OrderChanged | RefundCreated


@dataclass
class Source(FakeConnector):
    """The source store: every change of its level sends an inventory_levels/update webhook, as Shopify does."""

    webhooks: list[Webhook] = field(default_factory=list)
    changes: int = 0

    def change(self, delta: int) -> None:
        self.levels[SOURCE_LEVEL] += delta
        self.changes += 1
        ticks = self.changes
        self.webhooks.append(
            StockLevelChanged(
                store_id="source",
                platform=Platform.SHOPIFY,
                level=SOURCE_LEVEL,
                available=self.levels[SOURCE_LEVEL],
                changed_at=START + timedelta(seconds=ticks),
                delivery_id=f"level-{ticks}",
                received_at=START,
            )
        )

    def adjust_available(
        self, deltas: Mapping[InventoryRef, int], *, key: str, reference: str, reason: str = "correction"
    ) -> dict[InventoryRef, int]:
        if key not in self.adjusted:  # Shopify applies a key once; each application sends its webhook
            for delta in deltas.values():
                self.change(delta)
            self.adjusted[key] = {level: self.levels[level] for level in deltas}
        return self.adjusted[key]


def destination_level(store_id: str) -> InventoryRef:
    return InventoryRef(item_id=f"{store_id}-item", location_id=DESTINATION_LOCATION)


class Network:
    """One source linked to every destination, the shirt mapped on each link, with a buffer of 1."""

    def __init__(self) -> None:
        self.source = Source({SOURCE_LEVEL: INITIAL})
        self.destinations = {d: FakeConnector({destination_level(d): INITIAL - BUFFER}) for d in DESTINATIONS}
        links = [a_link(f"link-{d}", destination_store_id=d, stock=StockRules(buffer=BUFFER)) for d in DESTINATIONS]
        self.links = FakeLinkBook({link.link_id: link for link in links})
        sku_maps = FakeSkuMaps(
            [
                SkuMapEntry(
                    link_id=f"link-{d}",
                    source_store_id="source",
                    source_item_id=SOURCE_ITEM,
                    destination_item_id=f"{d}-item",
                    destination_variant_id=f"{d}-shirt",
                )
                for d in DESTINATIONS
            ]
        )
        stores = FakeStores({store_id: a_store(store_id) for store_id in ("source", *DESTINATIONS)})
        connectors = FakeConnectors({"source": self.source, **self.destinations})
        # The stock worker's and the sweep worker's own wiring, on fakes.
        linked = LinkedStores(stores=stores, links=self.links, sku_maps=sku_maps, connectors=connectors)
        stock_worker = StockWorkerSettings.model_construct()
        self.propagation = bootstrap.stock_propagation(
            stock_worker, linked=linked, applied=FakeAppliedLevels(), figures=FakeFigures()
        )
        self.order_stock = bootstrap.order_stock(
            stock_worker,
            linked=linked,
            oversells=FakeOversells(),
            waiting=FakeWaitingOrders(),
            ledgers=FakeGiveBackLedgers(),
            mirrors=FakeOrderMirrors(),
        )
        self.sweep = bootstrap.stock_sweep(
            SweepWorkerSettings.model_construct(),
            linked=linked,
            next_parts=RecordingSweeps(),
            attention=store_attention(stores),
            figures=FakeFigures(),
        )
        self.orders: list[OrderChanged] = []
        self.refunded: set[int] = set()
        self.pending: list[Webhook] = []
        self.expected_source = INITIAL
        self.adjusted_by_hand = False

    # -- what happens in the stores (each sends its webhooks, delivered later in any order) --------------

    def source_change(self, delta: int) -> None:
        self.source.change(delta)
        self.expected_source += delta
        self._collect_source_webhooks()

    def order(self, destination: str, quantity: int) -> None:
        self.destinations[destination].levels[destination_level(destination)] -= quantity
        number = len(self.orders)
        line = OrderLineSeen(line_id=f"line-{number}", variant_id=f"{destination}-shirt", sku=None, quantity=quantity)
        order = OrderChanged(
            store_id=destination,
            delivery_id=f"order-{number}",
            change="created",
            order_id=f"order-{number}",
            name=f"#{1000 + number}",
            source_name="web",
            changed_at=START,
            lines=(line,),
        )
        self.orders.append(order)
        self.pending.append(order)
        self.expected_source -= quantity

    def refund(self, which: int) -> None:
        """A restocking refund (or a cancellation, which Shopify records as one) of an order not yet refunded."""
        if not self.orders or which % len(self.orders) in self.refunded:
            return
        order = self.orders[which % len(self.orders)]
        self.refunded.add(which % len(self.orders))
        self.destinations[order.store_id].levels[destination_level(order.store_id)] += order.lines[0].quantity
        self.pending.append(
            RefundCreated(
                store_id=order.store_id,
                delivery_id=f"refund-of-{order.order_id}",
                order_id=order.order_id,
                refund_id=f"refund-{order.order_id}",
                restocked=order.lines,
            )
        )
        self.expected_source += order.lines[0].quantity

    def adjust_by_hand(self, destination: str, level: int) -> None:
        # A merchant edits the destination's stock; its webhook finds no link from the destination.
        self.destinations[destination].levels[destination_level(destination)] = level
        self.adjusted_by_hand = True

    # -- storelink ---------------------------------------------------------------------------------

    def deliver(self, webhook: Webhook) -> None:
        if isinstance(webhook, StockLevelChanged):
            propagate(self.propagation, webhook)
        else:
            self.order_stock.apply(webhook)
        self._collect_source_webhooks()

    def _collect_source_webhooks(self) -> None:
        self.pending += self.source.webhooks
        self.source.webhooks = []

    def destinations_show_the_source(self) -> bool:
        wanted = max(0, self.source.levels[SOURCE_LEVEL] - BUFFER)
        return all(store.levels[destination_level(d)] == wanted for d, store in self.destinations.items())


actions = st.lists(
    st.one_of(
        st.tuples(st.just("source_change"), st.integers(min_value=-4, max_value=6)),
        st.tuples(st.just("order"), st.sampled_from(DESTINATIONS), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("adjust_by_hand"), st.sampled_from(DESTINATIONS), st.integers(min_value=0, max_value=30)),
    ),
    max_size=14,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(actions=actions, data=st.data())
def test_any_interleaving_converges_to_the_sequential_exactly_once_result(
    actions: list[tuple], data: st.DataObject
) -> None:
    network = Network()
    # Given store events happening one after another, with webhooks delivered between them in any order,
    # some late, some more than once
    for name, *arguments in actions:
        getattr(network, name)(*arguments)
        for _ in range(data.draw(st.integers(min_value=0, max_value=len(network.pending)))):
            webhook = network.pending[data.draw(st.integers(min_value=0, max_value=len(network.pending) - 1))]
            if not data.draw(st.booleans()):  # else delivered now and again later (a duplicate)
                network.pending.remove(webhook)
            network.deliver(webhook)
    # When every webhook still owed is delivered, in any order
    while network.pending:
        network.deliver(network.pending.pop(data.draw(st.integers(min_value=0, max_value=len(network.pending) - 1))))
    # Then the source moved by exactly what was sold and given back: no decrement doubled or lost
    assert network.source.levels[SOURCE_LEVEL] == network.expected_source
    # And without hand-made destination adjustments, propagation alone already converged
    if not network.adjusted_by_hand:
        assert network.destinations_show_the_source()
    # And after the sweep, every destination shows its source (the sweep puts hand-made drift back)
    for link_id in network.links.links:
        network.sweep.sweep(SweepJob(link_id=link_id))
    assert network.destinations_show_the_source()
