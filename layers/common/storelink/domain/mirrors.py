"""Order mirrors: one per destination order, split into one part per source store that sells its lines.

A destination sells; each source fulfils its own lines. The mirror keeps what storelink needs to push
each part into its source (as an order of the source, tagged with its origin), to carry status both ways
and to show the merchant where every order stands. Statuses only move forward.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.events import FulfilmentCreated, OrderLineSeen
from storelink.domain.links import InitialOrderStatus, Link
from storelink.domain.orders import (
    Address,
    Customer,
    Order,
    OrderDraft,
    OrderLine,
    PushedFrom,
    SalesChannel,
    ShippingLine,
    TaxLine,
    Tracking,
)
from storelink.errors import StoreUnavailable

# A pushed part still "pushing" after this long was cut off (a timeout, a crash): the next attempt looks
# for the order in the source before creating it again.
PUSH_CLAIM_SECONDS = 300
MAX_HISTORY_ENTRIES = 50
CENT = Decimal("0.01")


class PartStatus(StrEnum):
    NOT_PUSHED = "not_pushed"
    PUSHING = "pushing"
    PUSHED = "pushed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MirrorStatus(StrEnum):
    """Where a mirror stands across its parts, as the per-link lists filter it."""

    NOT_PUSHED = "not_pushed"
    PARTIALLY_PUSHED = "partially_pushed"
    PUSHED = "pushed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HISTORY = "history"


class Fulfilment(StrEnum):
    """Forward only: a late "unfulfilled" never undoes a fulfilment."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"

    @property
    def rank(self) -> int:
        return list(Fulfilment).index(self)


class _Frozen(DomainModel):
    model_config = ConfigDict(frozen=True)


class MirrorLine(_Frozen):
    """A destination order line and the source variant that sells it."""

    line_id: str
    title: str
    sku: str | None
    destination_variant_id: str | None
    source_variant_id: str
    quantity: int = Field(ge=0)
    unit_price: Decimal
    # Units the source has shipped of this line, in every shipment so far.
    shipped: int = Field(default=0, ge=0)


class Shipment(_Frozen):
    """One fulfilment of the source's order, carried to the destination's order as a fulfilment of its own,
    with its own tracking. Saved before the destination is asked, marked carried after: a retry carries it
    then, and never twice (the destination is asked for what the source has shipped in all, not for more)."""

    fulfilment_id: str  # the source's
    tracking: Tracking | None = None
    # Destination line id -> units of this shipment.
    units: dict[str, int]
    carried: bool = False


class HistoryEntry(_Frozen):
    at: AwareDatetime
    what: str


class LineCancellation(_Frozen):
    """The destination's cancellation of a part's lines when its source cancelled while other parts stay open:
    recorded (with the key its store call carries) before the call and marked done after it, so a retry repeats
    the same call, which the store applies once, and never cancels the lines twice."""

    key: str
    # The destination location the lines are restocked at (None: not restocked).
    restock_at: str | None
    done: bool = False
    refund_id: str | None = None


class SourcePart(_Frozen):
    """The lines of one source store (through one link), and the order storelink made of them there."""

    link_id: str
    source_store_id: str
    lines: tuple[MirrorLine, ...]
    status: PartStatus = PartStatus.NOT_PUSHED
    attempts: int = 0
    push_started_at: AwareDatetime | None = None
    last_error: str | None = None
    source_order_id: str | None = None
    source_order_name: str | None = None
    # How the part was pushed: "automatic" (the link pushes every order) or "hand" (the destination asked).
    pushed_by: str | None = None
    fulfilment: Fulfilment = Fulfilment.UNFULFILLED
    tracking: Tracking | None = None
    shipments: tuple[Shipment, ...] = ()
    # The destination's refunds already carried to the source's order (or refused there): each goes once.
    refunds_carried: tuple[str, ...] = ()
    lines_cancelled: LineCancellation | None = None
    # Since when the part waits at its destination's monthly push limit (docs/plans.md): pushed when the month
    # turns or the plan rises; None once pushed.
    held_at: AwareDatetime | None = None

    @property
    def value(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))

    def shipped(self, fulfilment_id: str, tracking: Tracking | None, lines: Sequence[OrderLineSeen]) -> "SourcePart":
        """The part with the source's fulfilment `fulfilment_id` of `lines` (each a source line with its
        variant and the units shipped; none: all that is left) as a shipment to carry; itself when that
        fulfilment is known already (storelink's echo, a redelivery) or ships none of the part's lines.

        A source line is one of the part's lines by its source variant (storelink created the source order
        from the part, line for line); units go to the first such line with units left to ship."""
        if any(shipment.fulfilment_id == fulfilment_id for shipment in self.shipments):
            return self
        left = {line.line_id: line.quantity - line.shipped for line in self.lines}
        units: dict[str, int] = {}
        asked = [(line.variant_id, line.quantity) for line in lines] or [
            (line.source_variant_id, left[line.line_id]) for line in self.lines
        ]
        for variant_id, quantity in asked:
            for line in self.lines:
                take = min(quantity, left[line.line_id]) if line.source_variant_id == variant_id else 0
                if take > 0:
                    units[line.line_id] = units.get(line.line_id, 0) + take
                    left[line.line_id] -= take
                    quantity -= take
        if not units:
            return self
        shipped_lines = tuple(
            line.model_copy(update={"shipped": line.shipped + units.get(line.line_id, 0)}) for line in self.lines
        )
        everything = all(line.shipped >= line.quantity for line in shipped_lines)
        return self.model_copy(
            update={
                "lines": shipped_lines,
                "shipments": (*self.shipments, Shipment(fulfilment_id=fulfilment_id, tracking=tracking, units=units)),
                "fulfilment": Fulfilment.FULFILLED if everything else Fulfilment.PARTIALLY_FULFILLED,
                "tracking": tracking,
            }
        )

    def shipped_in_all(self, shipment: Shipment) -> dict[str, int]:
        """Destination line id -> the units shipped up to and including `shipment`, for its lines."""
        upto = self.shipments[: self.shipments.index(shipment) + 1]
        return {line_id: sum(earlier.units.get(line_id, 0) for earlier in upto) for line_id in shipment.units}

    def carried(self, shipment: Shipment) -> "SourcePart":
        return self.model_copy(
            update={
                "shipments": tuple(
                    other.model_copy(update={"carried": True}) if other == shipment else other
                    for other in self.shipments
                )
            }
        )


class OrderMirror(_Frozen):
    destination_store_id: str
    order_id: str
    order_name: str
    created_at: AwareDatetime
    channel: SalesChannel
    currency: str
    parts: dict[str, SourcePart]  # by link id
    shipping_lines: tuple[ShippingLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    discount_codes: tuple[str, ...] = ()
    total_discounts: Decimal = Decimal(0)
    # Kept only when a link forwards customer details to its source: storelink holds no personal data it
    # does not pass on.
    customer: Customer | None = None
    shipping_address: Address | None = None
    # Imported from the destination's past orders: shown, never pushed, never decremented.
    history: bool = False
    # An order storelink pushed into this destination from further down a chain: the stores it passed through.
    passed_through: tuple[str, ...] = ()
    cancelled_at: AwareDatetime | None = None
    log: tuple[HistoryEntry, ...] = ()
    version: int = 0
    # What the daily figures count of this order (domain/figures.py: owner -> counter -> amount), written with
    # it: each save adds only the difference, once. Kept beside the mirror, never shown.
    counted: dict[str, dict[str, Decimal]] = Field(default_factory=dict, exclude=True)

    @property
    def status(self) -> MirrorStatus:
        if self.history:
            return MirrorStatus.HISTORY
        # A part its source cancelled leaves the order to the parts still open.
        statuses = [part.status for part in self.parts.values() if part.status is not PartStatus.CANCELLED]
        if self.cancelled_at is not None or not statuses:
            return MirrorStatus.CANCELLED
        if all(status is PartStatus.PUSHED for status in statuses):
            return MirrorStatus.PUSHED
        if any(status is PartStatus.PUSHED for status in statuses):
            return MirrorStatus.PARTIALLY_PUSHED
        if any(status is PartStatus.FAILED for status in statuses):
            return MirrorStatus.FAILED
        return MirrorStatus.NOT_PUSHED

    def noted(self, at: datetime, what: str) -> "OrderMirror":
        return self.model_copy(update={"log": (*self.log, HistoryEntry(at=at, what=what))[-MAX_HISTORY_ENTRIES:]})

    def with_part(self, part: SourcePart) -> "OrderMirror":
        return self.model_copy(update={"parts": {**self.parts, part.link_id: part}})

    def summary(self, link_id: str) -> "OrderSummary":
        part = self.parts[link_id]
        return OrderSummary(
            order_ref=order_ref(self.order_id),
            order_id=self.order_id,
            order_name=self.order_name,
            destination_store_id=self.destination_store_id,
            created_at=self.created_at,
            status=self.status,
            part_status=part.status,
            lines=len(part.lines),
            units=sum(line.quantity for line in part.lines),
            value=part.value,
            currency=self.currency,
            source_order_name=part.source_order_name,
            pushed_by=part.pushed_by,
            fulfilment=part.fulfilment,
            last_error=part.last_error,
        )

    def part_for_source_order(self, source_store_id: str, source_order_id: str) -> SourcePart | None:
        return next(
            (
                part
                for part in self.parts.values()
                if part.source_store_id == source_store_id and part.source_order_id == source_order_id
            ),
            None,
        )


class OrderSummary(_Frozen):
    """A mirror as one link's order list shows it: the link's part of the order."""

    order_ref: str
    order_id: str
    order_name: str
    destination_store_id: str
    created_at: AwareDatetime
    status: MirrorStatus
    part_status: PartStatus
    lines: int
    units: int
    value: Decimal
    currency: str
    source_order_name: str | None
    pushed_by: str | None = None
    fulfilment: Fulfilment
    last_error: str | None


class Sourcing(_Frozen):
    """For one destination variant: the link that sells it and the source variant it maps to."""

    link: Link
    source_variant_id: str


def mirror_of(
    order: Order, destination_store_id: str, sourcing: Mapping[str, Sourcing], *, history: bool
) -> OrderMirror | None:
    """The mirror of a destination order, or None when no linked line was sold through a channel its link
    mirrors (only web-store orders unless the link includes the order's channel). An order storelink pushed
    here goes up a chain, as the order of its origin's channel, but never to a store it passed through."""
    parts: dict[str, list[MirrorLine]] = {}
    links: dict[str, Link] = {}
    for line in order.lines:
        found = sourcing.get(line.variant_id or "")
        if (
            found is None
            or order.channel not in found.link.orders.channels
            or found.link.source_store_id in order.passed_through
        ):
            continue
        links[found.link.link_id] = found.link
        parts.setdefault(found.link.link_id, []).append(
            MirrorLine(
                line_id=line.line_id,
                title=line.title,
                sku=line.sku,
                destination_variant_id=line.variant_id,
                source_variant_id=found.source_variant_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
        )
    if not parts:
        return None
    forwards_customer = any(link.orders.forward_customer_details for link in links.values())
    return OrderMirror(
        destination_store_id=destination_store_id,
        order_id=order.order_id,
        order_name=order.name,
        created_at=order.created_at,
        channel=order.channel,
        currency=order.currency,
        parts={
            link_id: SourcePart(link_id=link_id, source_store_id=links[link_id].source_store_id, lines=tuple(lines))
            for link_id, lines in parts.items()
        },
        shipping_lines=order.shipping_lines,
        tax_lines=order.tax_lines,
        discount_codes=order.discount_codes,
        total_discounts=order.total_discounts,
        customer=order.customer if forwards_customer else None,
        shipping_address=order.shipping_address if forwards_customer else None,
        history=history,
        passed_through=order.passed_through,
        cancelled_at=order.cancelled_at,
    )


def order_ref(order_id: str) -> str:
    """How the API names an order: the last segment of the platform's id (Shopify's `gid://shopify/Order/42`
    is 42), free of the slashes a URL path cannot carry."""
    return order_id.rsplit("/", 1)[-1]


def recovery_tag(mirror: OrderMirror, link_id: str) -> str:
    """A tag only this part's source order carries (Shopify tags hold 40 characters): a push cut off after
    the order was created finds it by this tag instead of creating a second one."""
    digest = hashlib.sha256(f"{mirror.destination_store_id}|{mirror.order_id}|{link_id}".encode()).hexdigest()
    return f"storelink-{digest[:20]}"


def draft_for(mirror: OrderMirror, link: Link, *, origin: str) -> OrderDraft:
    """The source's order for its part: its lines at the destination's prices, with its share of shipping,
    taxes and order discounts (in proportion to its lines' value, the last cent to the largest part), the
    customer only when the link forwards customer details, tagged with its origin."""
    part = mirror.parts[link.link_id]
    share = _share(mirror, link.link_id)
    forward = link.orders.forward_customer_details
    approved = link.orders.initial_status is InitialOrderStatus.APPROVED
    return OrderDraft(
        currency=mirror.currency,
        lines=tuple(
            OrderLine(
                line_id=line.line_id,
                title=line.title,
                sku=line.sku,
                variant_id=line.source_variant_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in part.lines
        ),
        customer=mirror.customer if forward else Customer(first_name=link.channel_name, last_name="customer"),
        shipping_address=mirror.shipping_address if forward else None,
        shipping_lines=tuple(ShippingLine(title=line.title, price=share(line.price)) for line in mirror.shipping_lines),
        tax_lines=tuple(
            TaxLine(title=line.title, rate=line.rate, amount=share(line.amount)) for line in mirror.tax_lines
        ),
        total_discounts=share(mirror.total_discounts),
        tags=(
            "storelink",
            f"from {origin}"[:40],
            f"order {mirror.order_name}"[:40],
            recovery_tag(mirror, link.link_id),
            *(() if approved else ("awaiting approval",)),
        ),
        note=f"Order {mirror.order_name} of {origin}, mirrored by storelink."
        + ("" if forward else " Customer details are not forwarded by this link."),
        source_identifier=PushedFrom(
            channel=mirror.channel, stores=(*mirror.passed_through, mirror.destination_store_id)
        ).identifier(order_ref(mirror.order_id)),
        approved=approved,
    )


def _share(mirror: OrderMirror, link_id: str) -> Callable[[Decimal], Decimal]:
    """The part's share of an order-level amount."""
    values = {other: part.value for other, part in mirror.parts.items()}
    total = sum(values.values(), Decimal(0))
    largest = max(values, key=lambda other: (values[other], other))

    def share(amount: Decimal) -> Decimal:
        if total == 0 or len(values) == 1:
            return amount if link_id == largest else Decimal(0)
        shares = {other: (amount * value / total).quantize(CENT, ROUND_HALF_UP) for other, value in values.items()}
        shares[largest] += amount - sum(shares.values(), Decimal(0))
        return shares[link_id]

    return share


# -- deciding: what an event asks of a mirror, as steps ----------------------------------------------------------
#
# Each event is carried as a list of steps decided from the mirror alone (the functions below), which the service
# takes one at a time: at most one store call, then the mirror saved (compare-and-set). A retry decides again from
# the saved mirror, so it starts at the first step not saved. A step whose store call took effect but was not saved
# (a lost answer, a crash) is sent again, and the store applies it once: its key (line cancellations, refunds), the
# part's recovery tag (pushes), or a call that asks for a state rather than a change (fulfil what is lacking of
# what was shipped in all, cancel what is not cancelled).


class PushInFlight(StoreUnavailable):
    """Another attempt is creating this part's order right now; the queue retries later."""


class MirrorAction(_Frozen):
    """One step of carrying an event on a mirror."""


class MirrorChange(MirrorAction):
    """A step that only changes the mirror, or whose store call's answer the mirror does not need."""

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        """The mirror after the step, and what its history notes."""
        raise NotImplementedError


class Note(MirrorChange):
    what: str

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        return mirror, self.what


class OrderCancelled(MirrorChange):
    """The destination cancelled its order."""

    at: AwareDatetime

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        return mirror.model_copy(update={"cancelled_at": self.at}), "the destination cancelled the order"


class CancelPart(MirrorChange):
    """The part is cancelled without a store call: its source cancelled it, or it was never pushed."""

    link_id: str
    note: str

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        return mirror.with_part(
            mirror.parts[self.link_id].model_copy(update={"status": PartStatus.CANCELLED})
        ), self.note


class CancelSourceOrder(MirrorChange):
    """Store call: the source's order is cancelled without restock (it was created without touching stock)."""

    link_id: str
    source_order_id: str

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id]
        cancelled = part.model_copy(update={"status": PartStatus.CANCELLED})
        return mirror.with_part(cancelled), f"cancelled {part.source_order_name} in the source"


class CancelInDestination(MirrorChange):
    """Store call: every source cancelled, so the destination's order is cancelled, restocked unless storelink
    pushed it there (the order down the chain gives the units back)."""

    restock: bool
    at: AwareDatetime

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        return (
            mirror.model_copy(update={"cancelled_at": self.at}),
            "cancelled in the destination, as every source cancelled",
        )


class RecordLineCancellation(MirrorChange):
    """The intent to cancel the part's lines in the destination, kept before the store call."""

    link_id: str
    cancellation: LineCancellation

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id].model_copy(update={"lines_cancelled": self.cancellation})
        return mirror.with_part(part), None


class CancelLines(MirrorAction):
    """Store call: the destination cancels the part's lines as recorded (same key, same location every time)."""

    link_id: str

    def done(self, mirror: OrderMirror, refund_id: str | None) -> tuple[OrderMirror, str | None]:
        """The mirror once the destination answered with the refund that recorded it (None: nothing was left)."""
        part = mirror.parts[self.link_id]
        assert part.lines_cancelled is not None  # recorded by the step before
        restocked = "restocked" if part.lines_cancelled.restock_at else "not restocked"
        note = (
            f"cancelled its {len(part.lines)} lines in the destination ({restocked}), as the source cancelled "
            f"{part.source_order_name}; the other sources' lines stay open"
            if refund_id
            else f"nothing left to cancel in the destination for {part.source_order_name}"
        )
        done = part.lines_cancelled.model_copy(update={"done": True, "refund_id": refund_id})
        return mirror.with_part(part.model_copy(update={"lines_cancelled": done})), note


class RecordShipment(MirrorChange):
    """A source's new shipment, kept before the destination is asked to fulfil it."""

    link_id: str
    fulfilment_id: str
    tracking: Tracking
    lines: tuple[OrderLineSeen, ...]

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id]
        return mirror.with_part(part.shipped(self.fulfilment_id, self.tracking, self.lines)), None


class FulfilInDestination(MirrorChange):
    """Store call: the destination fulfils, with the shipment's tracking, what the source has shipped in all."""

    link_id: str
    fulfilment_id: str
    tracking: Tracking

    def shipment(self, mirror: OrderMirror) -> Shipment:
        return next(s for s in mirror.parts[self.link_id].shipments if s.fulfilment_id == self.fulfilment_id)

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        part, shipment = mirror.parts[self.link_id], self.shipment(mirror)
        tracking = " ".join(filter(None, (self.tracking.company, self.tracking.number))) or "no tracking"
        units = sum(shipment.units.values())
        what = "fulfilled" if part.fulfilment is Fulfilment.FULFILLED else f"shipped {units} unit(s) of"
        return mirror.with_part(part.carried(shipment)), f"the source {what} {part.source_order_name} ({tracking})"


class ChangeLines(MirrorChange):
    """The destination changed the order's lines: the parts' lines follow."""

    parts: dict[str, SourcePart]
    note: str

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        return mirror.model_copy(update={"parts": self.parts}), self.note


class ClaimPush(MirrorChange):
    """The part is claimed for a push (compare-and-set), so no other attempt creates its order meanwhile."""

    link_id: str
    at: AwareDatetime

    def applied(self, mirror: OrderMirror) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id]
        claimed = part.model_copy(
            update={"status": PartStatus.PUSHING, "attempts": part.attempts + 1, "push_started_at": self.at}
        )
        return mirror.with_part(claimed), None


class PushToSource(MirrorAction):
    """Store call: the part's order is created in its source, after looking for the one an earlier attempt
    may have made (by its recovery tag) when there was one."""

    link_id: str
    by: str
    look_first: bool

    def pushed(self, mirror: OrderMirror, order_id: str, name: str) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id].model_copy(
            update={
                "status": PartStatus.PUSHED,
                "source_order_id": order_id,
                "source_order_name": name,
                "pushed_by": self.by,
                "last_error": None,
                "held_at": None,
            }
        )
        return mirror.with_part(part), f"pushed to the source as {name} ({self.by})"

    def refused(self, mirror: OrderMirror, reason: str) -> tuple[OrderMirror, str | None]:
        part = mirror.parts[self.link_id].model_copy(update={"status": PartStatus.FAILED, "last_error": reason})
        return mirror.with_part(part), f"push to the source refused: {reason}"

    def released(self, mirror: OrderMirror, reason: str) -> tuple[OrderMirror, str | None]:
        """The claim let go after the store did not answer, so the queue's retry goes ahead (and first looks
        for an order this call may have made)."""
        part = mirror.parts[self.link_id].model_copy(update={"status": PartStatus.NOT_PUSHED, "last_error": reason})
        return mirror.with_part(part), None


def decide_push(mirror: OrderMirror, link_id: str, *, by: str, now: datetime) -> list[MirrorAction]:
    """Create the part's order in its source exactly once: claim the part, then create it (looking first for the
    order a cut-off earlier attempt may have made). Nothing for a history order, a cancelled one, a part pushed
    or cancelled; PushInFlight while another attempt's claim is fresh."""
    part = mirror.parts[link_id]
    if mirror.history or mirror.cancelled_at or part.status in (PartStatus.PUSHED, PartStatus.CANCELLED):
        return []
    if (
        part.status is PartStatus.PUSHING
        and part.push_started_at
        and now - part.push_started_at < timedelta(seconds=PUSH_CLAIM_SECONDS)
    ):
        raise PushInFlight(f"order {mirror.order_name} is being pushed to its source right now")
    return [ClaimPush(link_id=link_id, at=now), PushToSource(link_id=link_id, by=by, look_first=part.attempts > 0)]


def decide_destination_cancelled(mirror: OrderMirror, *, now: datetime) -> list[MirrorAction]:
    """The destination cancelled: the mirror is cancelled, then each open part, its source order first when it
    was pushed. Nothing when all is cancelled already (storelink's own cancellation coming back, a redelivery)."""
    actions: list[MirrorAction] = [] if mirror.cancelled_at else [OrderCancelled(at=now)]
    for part in mirror.parts.values():
        if part.status is PartStatus.PUSHED and part.source_order_id:
            actions.append(CancelSourceOrder(link_id=part.link_id, source_order_id=part.source_order_id))
        elif part.status is not PartStatus.CANCELLED:
            actions.append(CancelPart(link_id=part.link_id, note="not pushed: will never be"))
    return actions


def decide_source_cancelled(
    mirror: OrderMirror, part: SourcePart, *, link: Link | None, now: datetime
) -> list[MirrorAction]:
    """The source cancelled its part's order: the part is cancelled; while other parts are open the destination
    cancels that part's lines (restocked at the destination location the link maps to its first source location:
    the level the order decremented), else the whole order. Nothing for storelink's own cancellation coming back or
    a redelivery with nothing left to do; a retry whose first attempt saved the part goes on from there."""
    actions: list[MirrorAction] = []
    if part.status is not PartStatus.CANCELLED:
        actions.append(CancelPart(link_id=part.link_id, note=f"the source cancelled {part.source_order_name}"))
    elif mirror.cancelled_at is not None or (part.lines_cancelled is not None and part.lines_cancelled.done):
        return []
    if mirror.cancelled_at is not None:
        return actions
    if not any(
        other.status is not PartStatus.CANCELLED for other in mirror.parts.values() if other.link_id != part.link_id
    ):
        # Restocked in the destination: its restocking refund gives the source its units back, once (the source's
        # own order was created without touching stock, so cancelling it restocks nothing). An order storelink
        # pushed into the destination took no stock either: the order down the chain it mirrors gives the units
        # back when storelink cancels it in turn. Lines cancelled earlier with another part are no longer in the
        # order: they are not restocked again.
        return [*actions, CancelInDestination(restock=not mirror.passed_through, at=now)]
    if part.lines_cancelled is None:
        restock_at = next(iter(link.locations.values()), None) if link and not mirror.passed_through else None
        cancellation = LineCancellation(
            key=f"storelink:{part.link_id}:cancel-lines:{order_ref(mirror.order_id)}", restock_at=restock_at
        )
        actions.append(RecordLineCancellation(link_id=part.link_id, cancellation=cancellation))
    return [*actions, CancelLines(link_id=part.link_id)]


def decide_fulfilment(mirror: OrderMirror, part: SourcePart, event: FulfilmentCreated) -> list[MirrorAction]:
    """The source shipped lines of the part's order: the shipment is kept, then carried to the destination.
    Nothing for a shipment carried already (storelink's own echo, a redelivery) or one that ships none of the
    part's lines; one kept but not carried yet (an attempt cut off) is carried now."""
    shipped = part.shipped(event.fulfilment_id, event.tracking, event.lines)
    if not any(s.fulfilment_id == event.fulfilment_id and not s.carried for s in shipped.shipments):
        return []
    ids = {"link_id": part.link_id, "fulfilment_id": event.fulfilment_id}
    carry = FulfilInDestination(**ids, tracking=event.tracking)
    return (
        [RecordShipment(**ids, tracking=event.tracking, lines=event.lines), carry] if shipped is not part else [carry]
    )


def decide_lines_changed(mirror: OrderMirror, fresh: OrderMirror) -> list[MirrorAction]:
    """The destination's order as it is now (`fresh`, mirrored again): the parts whose lines changed follow it
    (a part already pushed keeps its source order; the change is noted for the source to act on). What the source
    shipped is storelink's to know, not the destination's order's: it stays with each line."""
    shipped = {line.line_id: line.shipped for part in mirror.parts.values() for line in part.lines}
    changed = {}
    for link_id, part in fresh.parts.items():
        lines = tuple(line.model_copy(update={"shipped": shipped.get(line.line_id, 0)}) for line in part.lines)
        if link_id not in mirror.parts or lines != mirror.parts[link_id].lines:
            changed[link_id] = part.model_copy(update={"lines": lines})
    if not changed:
        return []
    parts = dict(mirror.parts)
    for link_id, part in changed.items():
        parts[link_id] = parts[link_id].model_copy(update={"lines": part.lines}) if link_id in parts else part
    pushed = [
        link_id for link_id in changed if link_id in mirror.parts and mirror.parts[link_id].status is PartStatus.PUSHED
    ]
    note = "the destination changed the order's lines" + (
        f"; already pushed to the source on {', '.join(pushed)}: change it there too" if pushed else ""
    )
    return [ChangeLines(parts=parts, note=note)]
