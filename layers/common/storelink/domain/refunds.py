"""Carrying a destination's refund to the source orders storelink pushed, when the link says so.

A link's `orders.refunds` is "note" (the default: the refund is noted on the mirror) or "refund_source" (the
source's order is refunded too: the same lines, the same amount, for merchants who settle per order). Money
moves; stock does not: the destination's restock already gives the source its units back through the
give-back ledger (services/order_stock.py), so the source's refund restocks nothing.
"""

import hashlib
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ConfigDict

from storelink.domain import DomainModel
from storelink.domain.events import RefundCreated
from storelink.domain.links import Link, RefundCarry
from storelink.domain.mirrors import CENT, MirrorAction, Note, OrderMirror, PartStatus, SourcePart
from storelink.domain.orders import OrderLine


class RefundShare(DomainModel):
    """A part's share of a destination refund: its refunded lines (destination line id → units) and money."""

    model_config = ConfigDict(frozen=True)

    link_id: str
    source_order_id: str
    lines: dict[str, int]
    amount: Decimal
    # The source's order was cancelled (storelink carried the destination's cancellation, or the source cancelled
    # its part): its lines are gone, only the money is refunded.
    money_only: bool = False


class SourceRefund(DomainModel):
    """The refund made on a source's order, and the money it gave back (none when nothing was paid there)."""

    model_config = ConfigDict(frozen=True)

    refund_id: str
    amount: Decimal


class CarryRefund(MirrorAction):
    """Store call: the part's share of a destination refund is refunded on its source order, once."""

    share: RefundShare
    refund_id: str

    def carried(self, mirror: OrderMirror, note: str) -> tuple[OrderMirror, str | None]:
        """The mirror with the refund carried (or refused: either way not tried again), and `note` for it."""
        part = mirror.parts[self.share.link_id]
        return mirror.with_part(
            part.model_copy(update={"refunds_carried": (*part.refunds_carried, self.refund_id)})
        ), note

    def not_carried(self, mirror: OrderMirror, why: str) -> str:
        return f"refund {self.refund_id} not carried to {mirror.parts[self.share.link_id].source_order_name}: {why}"

    def refunded(self, mirror: OrderMirror, lines: Mapping[str, int], made: SourceRefund) -> str:
        part = mirror.parts[self.share.link_id]
        units = "no units (the order is cancelled)" if self.share.money_only else f"{sum(lines.values())} units"
        note = (
            f"refunded {units} and {made.amount} {mirror.currency} on {part.source_order_name} in the source, "
            "no restock"
        )
        if made.amount != self.share.amount:
            note += f" ({self.share.amount} asked: nothing paid on it to refund against)"
        return note


def decide_refund(mirror: OrderMirror, refund: RefundCreated, links: Mapping[str, Link]) -> list[MirrorAction]:
    """A refund on either side is noted on the mirror (once: not again on the retry of a carry that failed); a
    destination's refund then goes to the source order of each part its links refund (`refund_shares`)."""
    units = sum(line.quantity for line in refund.restocked)
    side = "destination" if refund.store_id == mirror.destination_store_id else "source"
    note = f"the {side} refunded ({refund.refund_id}), {units} units restocked"
    noted: list[MirrorAction] = [] if any(entry.what == note for entry in mirror.log) else [Note(what=note)]
    return [
        *noted,
        *(CarryRefund(share=share, refund_id=refund.refund_id) for share in refund_shares(mirror, refund, links)),
    ]


def refund_shares(mirror: OrderMirror, refund: RefundCreated, links: Mapping[str, Link]) -> list[RefundShare]:
    """The parts whose source order gets its share of a destination refund: parts of links that refund the
    source, with lines in the refund, not carried before (a redelivery, a retry), whose source order exists:
    pushed, or pushed and cancelled since (a cancellation with a refund: the cancellation, carried first, took
    the lines off the source's order, the money is still to go back there)."""
    if mirror.history or refund.store_id != mirror.destination_store_id:
        return []
    refunded = {line.line_id: line.quantity for line in refund.lines}
    amounts = _amounts(mirror, refund)
    shares = []
    for link_id, part in mirror.parts.items():
        link = links.get(link_id)
        lines = {line.line_id: refunded[line.line_id] for line in part.lines if line.line_id in refunded}
        if (
            lines
            and link is not None
            and link.orders.refunds is RefundCarry.REFUND_SOURCE
            and part.status in (PartStatus.PUSHED, PartStatus.CANCELLED)
            and part.source_order_id is not None
            and refund.refund_id not in part.refunds_carried
            and (part.status is PartStatus.PUSHED or amounts[link_id] > 0)
        ):
            shares.append(
                RefundShare(
                    link_id=link_id,
                    source_order_id=part.source_order_id,
                    lines=lines,
                    amount=amounts[link_id],
                    money_only=part.status is PartStatus.CANCELLED,
                )
            )
    return shares


def _amounts(mirror: OrderMirror, refund: RefundCreated) -> dict[str, Decimal]:
    """The refund's amount split over the parts in proportion to their refunded lines' subtotals, out of all the
    refunded lines' (money for a line no source sells stays with the destination); when every refunded line is
    mirrored the shares add up to the refund, the last cent to the largest. The same every time it is asked, so
    a retry sends the source what the first attempt did."""
    subtotals = {line.line_id: line.subtotal for line in refund.lines}
    total = sum(subtotals.values(), Decimal(0))
    weights = {
        link_id: sum((subtotals[line.line_id] for line in part.lines if line.line_id in subtotals), Decimal(0))
        for link_id, part in mirror.parts.items()
    }
    if not total:
        return dict.fromkeys(weights, Decimal(0))
    amounts = {
        link_id: (refund.amount * weight / total).quantize(CENT, ROUND_HALF_UP) for link_id, weight in weights.items()
    }
    if sum(weights.values(), Decimal(0)) == total:
        largest = max(weights, key=lambda link_id: (weights[link_id], link_id))
        amounts[largest] += refund.amount - sum(amounts.values(), Decimal(0))
    return amounts


def source_lines(part: SourcePart, share: RefundShare, source_order_lines: Sequence[OrderLine]) -> dict[str, int]:
    """The source order's lines for the share's destination lines: storelink created the source order from the
    part's lines in order, so the k-th part line selling a source variant is the k-th source line of that
    variant. A destination line with no such source line (the source edited its order) is left out."""
    by_variant: dict[str | None, list[str]] = {}
    for source_line in source_order_lines:
        by_variant.setdefault(source_line.variant_id, []).append(source_line.line_id)
    seen: dict[str, int] = {}
    quantities: dict[str, int] = {}
    for line in part.lines:
        nth = seen.get(line.source_variant_id, 0)
        seen[line.source_variant_id] = nth + 1
        candidates = by_variant.get(line.source_variant_id, [])
        if line.line_id in share.lines and nth < len(candidates):
            quantities[candidates[nth]] = quantities.get(candidates[nth], 0) + share.lines[line.line_id]
    return quantities


def refund_key(link_id: str, refund_id: str) -> str:
    """The source refund's idempotency key: the same destination refund on the same link is refunded once at
    the source, however often its webhook comes or the call is retried."""
    return "storelink-refund-" + hashlib.sha256(f"{link_id}|{refund_id}".encode()).hexdigest()[:32]
