"""Orders up a chain A → B → C on in-memory stores: the order storelink pushed into B goes up to A as the web
order it was, once, each hop with its own link's initial status; never back to a store it passed through;
fulfilment and cancellation come back down the whole chain; and C's order moves the stock of A, the truth,
once, while the orders storelink pushed move none."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink.domain.events import FulfilmentCreated, OrderChanged, OrderLineSeen, RefundCreated
from storelink.domain.links import InitialOrderStatus, LinkStatus, OrderPush, SkuMapEntry
from storelink.domain.mirrors import order_ref
from storelink.domain.orders import (
    CreatedOrder,
    Order,
    OrderDraft,
    OrderLine,
    PushedFrom,
    SalesChannel,
    Tracking,
)
from storelink.domain.stock import InventoryRef
from storelink.ports import LinkedStores
from storelink.services.order_mirroring import OrderMirroring
from storelink.services.order_stock import OrderStock
from tests.builders import a_link, a_store
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeGiveBackLedgers,
    FakeLinkBook,
    FakeOrderMirrors,
    FakeOversells,
    FakeSkuMaps,
    FakeStores,
    FakeWaitingOrders,
    no_plan_limits,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SOLD_AT_C = "gid://shopify/Order/c-1"


@dataclass
class Shop(FakeConnector):
    """A store's orders; the orders storelink creates here read back as the connector reads them (their
    channel and the stores they passed through come from the source identifier)."""

    name: str = ""
    orders: dict[str, Order] = field(default_factory=dict)
    created: list[OrderDraft] = field(default_factory=list)
    fulfilled: list[tuple[str, Tracking]] = field(default_factory=list)
    cancelled: list[tuple[str, bool]] = field(default_factory=list)

    def order(self, order_id: str) -> Order:
        return self.orders[order_id]

    def create_order(self, draft: OrderDraft) -> CreatedOrder:
        self.created.append(draft)
        order_id = f"gid://shopify/Order/{self.name}-{len(self.created) + 100}"
        pushed = PushedFrom.read(draft.source_identifier)
        assert pushed is not None
        self.orders[order_id] = an_order(
            order_id,
            variant_id=draft.lines[0].variant_id or "",
            source_name="6543219",  # storelink's app, as Shopify names an app's orders
            channel=pushed.channel,
            passed_through=pushed.stores,
        )
        return CreatedOrder(order_id=order_id, name=f"#{self.name.upper()}{len(self.created)}")

    def order_tagged(self, tag: str) -> CreatedOrder | None:
        return None

    def fulfil(self, order_id: str, tracking: Tracking, shipped: Mapping[str, int]) -> str:
        self.fulfilled.append((order_id, tracking))
        return "fulfilment-1"

    def cancel(self, order_id: str, *, restock: bool) -> bool:
        self.cancelled.append((order_id, restock))
        return True


def an_order(order_id: str, *, variant_id: str, source_name: str = "web", **fields: object) -> Order:
    return Order.model_validate(
        {
            "order_id": order_id,
            "name": "#1001",
            "created_at": NOW,
            "source_name": source_name,
            "channel": SalesChannel.WEB,
            "currency": "EUR",
            "lines": (
                OrderLine(
                    line_id=f"{order_id}/line",
                    title="Shirt",
                    sku="SHIRT",
                    variant_id=variant_id,
                    quantity=2,
                    unit_price=Decimal(30),
                ),
            ),
        }
        | fields
    )


def mapped(link_id: str, destination_variant_id: str, source_variant_id: str) -> SkuMapEntry:
    return SkuMapEntry(
        link_id=link_id,
        source_item_id=f"{source_variant_id}-item",
        destination_item_id=f"{destination_variant_id}-item",
        destination_variant_id=destination_variant_id,
        source_variant_id=source_variant_id,
    )


class Chain:
    """A → B → C: A the truth (Shopdesk), B in the middle (OE), C where buyers order (Shopify)."""

    def __init__(self) -> None:
        self.a, self.b, self.c = Shop(name="a"), Shop(name="b"), Shop(name="c")
        self.c.orders[SOLD_AT_C] = an_order(SOLD_AT_C, variant_id="c-shirt")
        self.links = FakeLinkBook(
            {
                "a-b": a_link(
                    "a-b",
                    source_store_id="a",
                    destination_store_id="b",
                    orders=OrderPush(initial_status=InitialOrderStatus.APPROVED),
                ),
                "b-c": a_link("b-c", source_store_id="b", destination_store_id="c"),
            }
        )
        self.sku_maps = FakeSkuMaps([mapped("a-b", "b-shirt", "a-shirt"), mapped("b-c", "c-shirt", "b-shirt")])
        self.mirrors = FakeOrderMirrors()
        self.service = OrderMirroring(
            quota=no_plan_limits(),
            linked=LinkedStores(
                stores=FakeStores({name: a_store(name) for name in "abc"}),
                links=self.links,
                sku_maps=self.sku_maps,
                connectors=FakeConnectors({"a": self.a, "b": self.b, "c": self.c}),
                now=lambda: NOW,
            ),
            mirrors=self.mirrors,
            waiting=FakeWaitingOrders(),
        )

    def created(self, store_id: str, order_id: str) -> None:
        self.service.order_created(an_event("created", store_id, order_id))

    @property
    def pushed_to_b(self) -> str:
        return next(iter(self.b.orders))


def an_event(change: str, store_id: str, order_id: str) -> OrderChanged:
    return OrderChanged(
        store_id=store_id,
        delivery_id=f"{change}-{store_id}",
        change=change,  # type: ignore[arg-type]
        order_id=order_id,
        name="#1001",
        source_name="web",
        changed_at=NOW,
    )


@pytest.fixture
def chain() -> Chain:
    # Given a web order at C, pushed into B, whose orders/create comes back from B
    chain = Chain()
    chain.created("c", SOLD_AT_C)
    chain.created("b", chain.pushed_to_b)
    return chain


def test_the_order_pushed_into_the_middle_goes_up_as_the_web_order_it_was(chain: Chain) -> None:
    # Then B got C's order awaiting approval (its link's setting), and A got B's, approved (A → B's setting)
    [at_b], [at_a] = chain.b.created, chain.a.created
    assert (at_b.approved, "awaiting approval" in at_b.tags) == (False, True)
    assert (at_a.approved, "awaiting approval" in at_a.tags) == (True, False)
    # And A's order is a web order that passed through C, then B, with A's variant
    assert at_a.source_identifier == f"storelink:web:c>b:{order_ref(chain.pushed_to_b)}"
    assert [line.variant_id for line in at_a.lines] == ["a-shirt"]


def test_the_upper_push_is_made_once_however_often_the_middle_order_comes(chain: Chain) -> None:
    # When B's orders/create comes again, and C's too
    chain.created("b", chain.pushed_to_b)
    chain.created("c", SOLD_AT_C)
    # Then each store above got one order
    assert (len(chain.b.created), len(chain.a.created)) == (1, 1)


def test_an_order_never_goes_back_to_a_store_it_passed_through() -> None:
    # Given C's order pushed into B, and then the chain re-linked: A → B gone, C now a source of B selling
    # B's shirt as C's
    chain = Chain()
    chain.created("c", SOLD_AT_C)
    del chain.links.links["a-b"]
    chain.links.add(a_link("c-b", source_store_id="c", destination_store_id="b"))
    chain.sku_maps.entries.append(mapped("c-b", "b-shirt", "c-shirt"))
    # When the order pushed into B comes back from B
    chain.created("b", chain.pushed_to_b)
    # Then it is not pushed back to C, where it was sold
    assert chain.c.created == []
    assert chain.mirrors.get("b", chain.pushed_to_b) is None


def test_an_app_order_of_the_middle_store_stays_there() -> None:
    # Given B's own app order (not storelink's push: no origin in its source identifier)
    chain = Chain()
    chain.b.orders["gid://shopify/Order/b-own"] = an_order(
        "gid://shopify/Order/b-own", variant_id="b-shirt", source_name="6543219", channel=SalesChannel.APP
    )
    # When it is created
    chain.created("b", "gid://shopify/Order/b-own")
    # Then A → B, mirroring web orders only, leaves it
    assert chain.a.created == []


def test_a_fulfilment_at_the_top_comes_down_the_whole_chain(chain: Chain) -> None:
    tracking = Tracking(company="DHL", number="JD01", url="https://dhl.example/JD01")
    [at_a] = chain.a.orders
    # When A fulfils its order, and B's fulfilment (storelink's own, made from A's) comes in turn
    chain.service.fulfilment_created(
        FulfilmentCreated(store_id="a", delivery_id="f-a", order_id=at_a, fulfilment_id="fa", tracking=tracking)
    )
    chain.service.fulfilment_created(
        FulfilmentCreated(
            store_id="b", delivery_id="f-b", order_id=chain.pushed_to_b, fulfilment_id="fb", tracking=tracking
        )
    )
    # Then B's and C's orders are fulfilled with A's tracking
    assert chain.b.fulfilled == [(chain.pushed_to_b, tracking)]
    assert chain.c.fulfilled == [(SOLD_AT_C, tracking)]


def test_a_cancellation_where_the_order_was_sold_goes_up_the_chain(chain: Chain) -> None:
    [at_a] = chain.a.orders
    # When C cancels, then B's cancellation (storelink's) comes back from B, then A's from A
    chain.service.order_cancelled(an_event("cancelled", "c", SOLD_AT_C))
    chain.service.order_cancelled(an_event("cancelled", "b", chain.pushed_to_b))
    chain.service.order_cancelled(an_event("cancelled", "a", at_a))
    # Then B's order and A's are cancelled once each, without restock (C's refund gives the units back); C's
    # is left to C
    assert (chain.b.cancelled, chain.a.cancelled) == ([(chain.pushed_to_b, False)], [(at_a, False)])
    assert chain.c.cancelled == []


def test_a_cancellation_at_the_top_comes_down_the_chain(chain: Chain) -> None:
    [at_a] = chain.a.orders
    # When A cancels, then B's cancellation (storelink's) comes back from B, then C's from C
    chain.service.order_cancelled(an_event("cancelled", "a", at_a))
    chain.service.order_cancelled(an_event("cancelled", "b", chain.pushed_to_b))
    chain.service.order_cancelled(an_event("cancelled", "c", SOLD_AT_C))
    # Then B's order is cancelled without restock (storelink's push took no stock) and C's with restock (its
    # refund gives A the units back), once each; A's is left to A
    assert (chain.b.cancelled, chain.c.cancelled) == ([(chain.pushed_to_b, False)], [(SOLD_AT_C, True)])
    assert chain.a.cancelled == []


@pytest.mark.parametrize(
    "identifier",
    [None, "", "st_c:gid://shopify/Order/1", "storelink:web::1001", "storelink:fax:st_c:1001", "other:web:st_c:1"],
)
def test_only_storelinks_own_identifier_names_an_origin(identifier: str | None) -> None:
    assert PushedFrom.read(identifier) is None


def test_an_origin_reads_back_as_written() -> None:
    origin = PushedFrom(channel=SalesChannel.POS, stores=("st_c", "st_b"))
    assert PushedFrom.read(origin.identifier("1001")) == origin


# -- stock ---------------------------------------------------------------------------------------------------

LOCATIONS = {"a": "a-warehouse", "b": "b-warehouse", "c": "c-warehouse"}


class ChainStock:
    """A → B → C, each holding 12 shirts in its warehouse, warehouses mapped one to one down the chain."""

    def __init__(self) -> None:
        self.shops = {name: Shop(levels={level(name): 12}, name=name) for name in "abc"}
        # B holds the order storelink pushed into it for C's order
        self.shops["b"].orders["b-order"] = an_order("b-order", variant_id="b-shirt", passed_through=("c",))
        self.links = FakeLinkBook(
            {
                f"{up}-{down}": a_link(
                    f"{up}-{down}",
                    source_store_id=up,
                    destination_store_id=down,
                    locations={LOCATIONS[up]: LOCATIONS[down]},
                )
                for up, down in ("ab", "bc")
            }
        )
        self.service = OrderStock(
            linked=LinkedStores(
                stores=FakeStores({name: a_store(name) for name in "abc"}),
                links=self.links,
                sku_maps=FakeSkuMaps([mapped("a-b", "b-shirt", "a-shirt"), mapped("b-c", "c-shirt", "b-shirt")]),
                connectors=FakeConnectors(self.shops),
                now=lambda: NOW,
            ),  # type: ignore[arg-type]
            oversells=FakeOversells(),
            waiting=FakeWaitingOrders(),
            ledgers=FakeGiveBackLedgers(),
            mirrors=FakeOrderMirrors(),
        )

    def available(self, name: str) -> int:
        return self.shops[name].levels[level(name)]


def level(name: str) -> InventoryRef:
    return InventoryRef(item_id=f"{name}-shirt-item", location_id=LOCATIONS[name])


def an_order_of(store_id: str, variant_id: str, *, pushed_by_storelink: bool = False) -> OrderChanged:
    return an_event("created", store_id, f"{store_id}-order").model_copy(
        update={
            "lines": (OrderLineSeen(line_id=f"{store_id}-line", variant_id=variant_id, sku=None, quantity=2),),
            "pushed_by_storelink": pushed_by_storelink,
        }
    )


def test_an_order_at_the_end_of_a_chain_moves_the_first_sources_stock_once() -> None:
    stock = ChainStock()
    # When C sells 2, and the order storelink pushed into B for it comes from B
    stock.service.apply(an_order_of("c", "c-shirt"))
    stock.service.apply(an_order_of("c", "c-shirt"))
    stock.service.apply(an_order_of("b", "b-shirt", pushed_by_storelink=True))
    # Then A, the truth, is 2 down, once; B is left to follow A through the stock path
    assert (stock.available("a"), stock.available("b")) == (10, 12)


def test_a_refund_at_the_end_of_a_chain_gives_the_first_source_its_units_back() -> None:
    # Given C's order of 2, which took A to 10
    stock = ChainStock()
    stock.service.apply(an_order_of("c", "c-shirt"))
    assert stock.available("a") == 10
    # When C refunds the 2 with restock
    stock.service.apply(
        RefundCreated(
            store_id="c",
            delivery_id="r-1",
            order_id="c-order",
            refund_id="refund-1",
            restocked=(OrderLineSeen(line_id="c-line", variant_id="c-shirt", sku=None, quantity=2),),
        )
    )
    # Then A is back at 12
    assert (stock.available("a"), stock.available("b")) == (12, 12)


def test_a_restocking_refund_of_the_order_pushed_into_the_middle_gives_nothing_back() -> None:
    # Given C's order of 2, which took A to 10
    stock = ChainStock()
    stock.service.apply(an_order_of("c", "c-shirt"))
    # When B's staff cancel the order storelink pushed into B, restocking it
    restocked = (OrderLineSeen(line_id="b-line", variant_id="b-shirt", sku=None, quantity=2),)
    stock.service.apply(
        RefundCreated(store_id="b", delivery_id="r-b", order_id="b-order", refund_id="refund-b", restocked=restocked)
    )
    # Then A is still at 10: the units come back through C's order, which took them
    assert stock.available("a") == 10


def test_an_order_of_the_middle_store_itself_moves_its_source() -> None:
    stock = ChainStock()
    # When B sells 2 on its own web store
    stock.service.apply(an_order_of("b", "b-shirt"))
    # Then A is 2 down
    assert stock.available("a") == 10


def test_a_variant_the_link_above_does_not_sell_stays_with_the_middle_store() -> None:
    stock = ChainStock()
    # Given A → B disconnected
    stock.links.add(stock.links.links["a-b"].model_copy(update={"status": LinkStatus.DISCONNECTED}))
    # When C sells 2
    stock.service.apply(an_order_of("c", "c-shirt"))
    # Then B, now the truth of its shirt, is 2 down, and A untouched
    assert (stock.available("a"), stock.available("b")) == (12, 10)
