"""The give-back ledger: what storelink took from a source for one destination order line on one link, and
what it has given back since. A restock gives back at most what was taken and not yet given back, so an
order storelink never decremented (placed before the link, imported as history, or sold while its variant
was unmapped) never creates stock at the source.

Webhooks come in any order, so a restock may come before its order's decrement: it is then kept as restocked
before the take, and the take, when it comes, takes only what is still sold. Either order ends where the
sequential one does, and a restock of an order that is never decremented gives nothing.

Each step is recorded before the store is called and marked applied after, and every store call carries an
idempotency key of its own: a retry after a crash anywhere in between repeats the same call, which the
platform applies once, and never decides anew (docs/stock-engine.md, "Give-backs").
"""

from pydantic import ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.stock import InventoryRef

NOTHING_TAKEN = "restock ignored: storelink took no units for this line"


class _Frozen(DomainModel):
    model_config = ConfigDict(frozen=True)


class GiveBack(_Frozen):
    """Units one refund gives back for the line, decided once; `applied` once the source has them."""

    units: int = Field(ge=0)
    applied: bool = False


class LineLedger(_Frozen):
    link_id: str
    destination_store_id: str
    order_id: str
    line_id: str
    # The level the units were taken from (the chain's first source), so they come back there whatever the
    # SKU map says by then.
    store_id: str
    level: InventoryRef
    # None until the order's decrement is recorded; then what it takes (less what was restocked before it).
    taken: int | None = Field(default=None, ge=0)
    taken_applied: bool = False
    restocked_before_take: int = Field(default=0, ge=0)
    give_backs: dict[str, GiveBack] = {}  # by refund id
    # Compare-and-set: every save writes over the version it read.
    version: int = 0

    @property
    def given_back(self) -> int:
        return sum(give_back.units for give_back in self.give_backs.values())

    @property
    def take_in_progress(self) -> bool:
        """Recorded but not yet applied at the source: a give-back decided now could not know what it took."""
        return self.taken is not None and not self.taken_applied

    def with_take(self, ordered: int) -> "LineLedger":
        return self.model_copy(update={"taken": max(0, ordered - self.restocked_before_take)})

    def take_applied(self) -> "LineLedger":
        return self.model_copy(update={"taken_applied": True})

    def with_give_back(self, refund_id: str, restocked: int) -> "LineLedger":
        """The refund's give-back, decided once: a refund seen again keeps what was decided the first time.
        Before the take it gives nothing and lowers what the take will take."""
        if refund_id in self.give_backs:
            return self
        if self.taken is None:
            early = GiveBack(units=0, applied=True)
            return self.model_copy(
                update={
                    "give_backs": {**self.give_backs, refund_id: early},
                    "restocked_before_take": self.restocked_before_take + restocked,
                }
            )
        units = max(0, min(restocked, self.taken - self.given_back))
        return self.model_copy(update={"give_backs": {**self.give_backs, refund_id: GiveBack(units=units)}})

    def give_back_applied(self, refund_id: str) -> "LineLedger":
        give_back = self.give_backs[refund_id].model_copy(update={"applied": True})
        return self.model_copy(update={"give_backs": {**self.give_backs, refund_id: give_back}})

    def next_version(self) -> "LineLedger":
        return self.model_copy(update={"version": self.version + 1})


def give_back_note(line_id: str, restocked: int, units: int) -> str | None:
    """What the order's history says when a restock gives back less than the destination restocked."""
    if units == restocked:
        return None
    if units == 0:
        return f"{NOTHING_TAKEN} ({line_id}, {restocked} restocked)"
    return f"restock of {restocked} gave back {units} ({line_id}): storelink gives back no more than it took"
