"""Order mirrors as plain rules: which lines go to which source, which channels are mirrored, what a source's
order carries (its share of shipping, taxes and discounts; the customer only when the link allows), and
where a mirror stands."""

from datetime import UTC, datetime
from decimal import Decimal

from storelink.domain.links import InitialOrderStatus, OrderPush
from storelink.domain.mirrors import MirrorStatus, PartStatus, Sourcing, draft_for, mirror_of, recovery_tag
from storelink.domain.orders import Address, Customer, Order, OrderLine, SalesChannel, ShippingLine, TaxLine
from tests.builders import a_link

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NORTH = a_link("north", source_store_id="north-source", channel_name="Lumen Outlet")
SOUTH = a_link("south", source_store_id="south-source", channel_name="Lumen Outlet")
SOURCING = {
    "shirt": Sourcing(link=NORTH, source_variant_id="north-shirt"),
    "socks": Sourcing(link=SOUTH, source_variant_id="south-socks"),
}


def an_order(*lines: tuple[str, int, str], channel: SalesChannel = SalesChannel.WEB) -> Order:
    return Order(
        order_id="order-1",
        name="#1001",
        created_at=NOW,
        source_name="web",
        channel=channel,
        currency="EUR",
        customer=Customer(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        shipping_address=Address(name="Ada Lovelace", address1="1 Analytical St", city="London", country_code="GB"),
        lines=tuple(
            OrderLine(
                line_id=f"line-{variant}",
                title=variant,
                sku=None,
                variant_id=variant,
                quantity=quantity,
                unit_price=Decimal(price),
            )
            for variant, quantity, price in lines
        ),
        shipping_lines=(ShippingLine(title="Standard", price=Decimal("10.00")),),
        tax_lines=(TaxLine(title="VAT", rate=Decimal("0.2"), amount=Decimal("9.99")),),
        total_discounts=Decimal("5.00"),
    )


def test_an_order_across_two_sources_makes_one_part_per_source_and_skips_unlinked_lines() -> None:
    # Given an order of a shirt (north), socks (south) and a mug no link sells
    order = an_order(("shirt", 1, "30.00"), ("socks", 2, "5.00"), ("mug", 1, "8.00"))
    # When it is mirrored
    mirror = mirror_of(order, "outlet", SOURCING, history=False)
    # Then each source gets its own lines, mapped to its variants, and the mug stays with the destination
    assert mirror is not None
    assert {link_id: [line.source_variant_id for line in part.lines] for link_id, part in mirror.parts.items()} == {
        "north": ["north-shirt"],
        "south": ["south-socks"],
    }
    assert mirror.status is MirrorStatus.NOT_PUSHED


def test_only_web_orders_are_mirrored_unless_the_link_includes_the_channel() -> None:
    pos_order = an_order(("shirt", 1, "30.00"), channel=SalesChannel.POS)
    assert mirror_of(pos_order, "outlet", SOURCING, history=False) is None
    with_pos = NORTH.model_copy(update={"orders": OrderPush(channels=frozenset({SalesChannel.WEB, SalesChannel.POS}))})
    mirror = mirror_of(
        pos_order, "outlet", {"shirt": Sourcing(link=with_pos, source_variant_id="north-shirt")}, history=False
    )
    assert mirror is not None


def test_without_customer_details_the_mirror_keeps_none_and_the_source_gets_a_placeholder() -> None:
    # Given a link that does not forward customer details (the default)
    mirror = mirror_of(an_order(("shirt", 1, "30.00")), "outlet", SOURCING, history=False)
    assert mirror is not None
    # Then the mirror keeps no personal data, and the source's order names only the channel
    assert (mirror.customer, mirror.shipping_address) == (None, None)
    draft = draft_for(mirror, NORTH, origin="Lumen Outlet")
    assert draft.customer is not None
    assert (draft.customer.first_name, draft.customer.email) == ("Lumen Outlet", None)
    assert draft.shipping_address is None


def test_with_customer_details_the_source_gets_the_customer_and_address() -> None:
    forwarding = NORTH.model_copy(update={"orders": OrderPush(forward_customer_details=True)})
    mirror = mirror_of(
        an_order(("shirt", 1, "30.00")),
        "outlet",
        {"shirt": Sourcing(link=forwarding, source_variant_id="north-shirt")},
        history=False,
    )
    assert mirror is not None
    draft = draft_for(mirror, forwarding, origin="Lumen Outlet")
    assert draft.customer is not None
    assert draft.customer.email == "ada@example.com"
    assert draft.shipping_address is not None
    assert draft.shipping_address.city == "London"


def test_shipping_taxes_and_discounts_are_shared_by_line_value_to_the_cent() -> None:
    # Given a 30.00 part and a 10.00 part, 10.00 shipping, 9.99 VAT and 5.00 discounts
    mirror = mirror_of(an_order(("shirt", 1, "30.00"), ("socks", 2, "5.00")), "outlet", SOURCING, history=False)
    assert mirror is not None
    north, south = draft_for(mirror, NORTH, origin="o"), draft_for(mirror, SOUTH, origin="o")
    # Then each source carries three quarters / one quarter, and the parts add up to the order exactly
    assert (north.shipping_lines[0].price, south.shipping_lines[0].price) == (Decimal("7.50"), Decimal("2.50"))
    assert north.tax_lines[0].amount + south.tax_lines[0].amount == Decimal("9.99")
    assert (north.total_discounts, south.total_discounts) == (Decimal("3.75"), Decimal("1.25"))


def test_the_source_order_is_tagged_with_its_origin_and_follows_the_initial_status_setting() -> None:
    mirror = mirror_of(an_order(("shirt", 1, "30.00")), "outlet", SOURCING, history=False)
    assert mirror is not None
    waiting = draft_for(mirror, NORTH, origin="Lumen Outlet")
    assert {"storelink", "from Lumen Outlet", "order #1001", recovery_tag(mirror, "north"), "awaiting approval"} == set(
        waiting.tags
    )
    assert not waiting.approved
    approving = NORTH.model_copy(update={"orders": OrderPush(initial_status=InitialOrderStatus.APPROVED)})
    assert draft_for(mirror, approving, origin="Lumen Outlet").approved


def test_a_mirror_is_partially_pushed_until_every_source_has_its_part() -> None:
    mirror = mirror_of(an_order(("shirt", 1, "30.00"), ("socks", 1, "5.00")), "outlet", SOURCING, history=False)
    assert mirror is not None
    half = mirror.with_part(mirror.parts["north"].model_copy(update={"status": PartStatus.PUSHED}))
    assert half.status is MirrorStatus.PARTIALLY_PUSHED
    whole = half.with_part(half.parts["south"].model_copy(update={"status": PartStatus.PUSHED}))
    assert whole.status is MirrorStatus.PUSHED
    assert whole.model_copy(update={"cancelled_at": NOW}).status is MirrorStatus.CANCELLED


def test_history_orders_are_history_whatever_their_parts() -> None:
    mirror = mirror_of(an_order(("shirt", 1, "30.00")), "outlet", SOURCING, history=True)
    assert mirror is not None
    assert mirror.status is MirrorStatus.HISTORY
