"""Stock arithmetic and the storelink event for a changed level."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import AwareDatetime, ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.links import StockRules
from storelink.domain.stores import Platform


class InventoryRef(DomainModel):
    """One stock level: an inventory item at a location, in the platform's own ids."""

    model_config = ConfigDict(frozen=True)

    item_id: str = Field(min_length=1)
    location_id: str = Field(min_length=1)


class StockLevelChanged(DomainModel):
    """A store reported a new available quantity for one item at one location."""

    model_config = ConfigDict(frozen=True)

    store_id: str = Field(min_length=1)
    platform: Platform
    level: InventoryRef
    available: int
    # When the platform changed the level (for ordering), and the delivery that told us (for dedup).
    changed_at: AwareDatetime
    delivery_id: str = Field(min_length=1)
    # When storelink received it: the queue's retries carry it unchanged, a platform's redelivery has its own
    # (how the claim tells the two apart).
    received_at: datetime


class LevelClaim(StrEnum):
    """What a source level change may do, against the newest change applied to its level."""

    APPLY = "apply"  # newer than any applied (or the queue's retry of the one applied): its number is the truth
    SKIP = "skip"  # older: a late webhook, which must never put sold stock back
    # The change applied last, delivered again (a platform's retry, the catch-up reading it back): its level is
    # already propagated, and propagating it again could put back a destination's sale not yet mirrored.
    DELIVERED_AGAIN = "delivered_again"
    # As old as one applied by another delivery: Shopify stamps to the second and promises no order, so
    # neither webhook's number can be trusted; the source's level is read and propagated instead.
    READ_SOURCE = "read_source"


class AppliedClaim(NamedTuple):
    outcome: LevelClaim
    # The source level the change applied before this one carried: what storelink last propagated from it.
    available_before: int | None = None


class LevelWrite(DomainModel):
    """A compare-and-set write: set `level` to `quantity` only if it still holds `expected`."""

    model_config = ConfigDict(frozen=True)

    level: InventoryRef
    quantity: int = Field(ge=0)
    expected: int


class Oversell(DomainModel):
    """A destination's order line that took its source below zero: units sold that the source did not have
    (two stores sold the last unit at once). Recorded on the link, once per order line."""

    model_config = ConfigDict(frozen=True)

    link_id: str
    destination_store_id: str
    order_id: str
    order_name: str
    line_id: str
    source_level: InventoryRef
    units_short: int = Field(ge=1)
    source_available_after: int
    recorded_at: AwareDatetime


def units_short(delta: int, available_after: int) -> int:
    """How many of a decrement's units the source did not have: the part of it below zero."""
    return max(0, min(-delta, -available_after))


def destination_quantity(source_available: int, rules: StockRules) -> int:
    """What a destination shows for a source level: nothing at or below the floor, else less the buffer."""
    if source_available <= rules.floor:
        return 0
    return max(0, source_available - rules.buffer)


def writes_to_reach(targets: dict[InventoryRef, int], current: dict[InventoryRef, int]) -> list[LevelWrite]:
    """The compare-and-set writes that move `current` to `targets`, skipping levels already right."""
    return [
        LevelWrite(level=level, quantity=quantity, expected=current[level])
        for level, quantity in targets.items()
        if current[level] != quantity
    ]


@dataclass
class LevelsSet:
    """What setting many levels compare-and-set did, level by level."""

    written: int = 0
    unchanged: int = 0
    stale_retries: int = 0
    # Levels the platform refused, with its reason; the others were set.
    refused: dict[InventoryRef, str] = field(default_factory=dict)
    # Levels left as they were because they changed after they were read: `compare_and_set` leaves them
    # to its caller, `set_available` reads them again.
    stale: list[InventoryRef] = field(default_factory=list)
