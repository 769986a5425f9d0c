"""Setting levels to their targets in compare-and-set rounds, the same on every platform: read, write what
differs against what was read, and read again and retry only the levels that changed meanwhile (stale). A level
whose quantity the caller knows from what storelink last wrote there is written against that without a read
first; if the store holds something else, the write comes back stale and the level goes
through the rounds: one store call instead of two when the belief holds, and never a write over a change.

Written as a bounded loop, not with a retry library: a stale compare wants an immediate re-read, and the
platform clients already retry their calls.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from storelink.domain.stock import InventoryRef, LevelsSet, LevelWrite, writes_to_reach
from storelink.errors import StoreUnavailable

# A level that keeps changing under our writes (a flash sale) goes back to the queue after this many rounds.
MAX_STALE_ROUNDS = 5


class StaleLevels(StoreUnavailable):
    """Levels kept changing between our reads and writes; the queue retries the work later."""

    code = "stale_levels"


@dataclass(frozen=True)
class LevelsRead:
    """One round's read: the levels the store holds, those it refuses and why, and how to write against it."""

    known: dict[InventoryRef, int]
    refused: dict[InventoryRef, str]
    compare_and_set: Callable[[list[LevelWrite]], LevelsSet]


def set_in_rounds(
    targets: Mapping[InventoryRef, int],
    read: Callable[[list[InventoryRef]], LevelsRead],
    *,
    last_written: Mapping[InventoryRef, int] | None = None,
    compare_and_set: Callable[[list[LevelWrite]], LevelsSet] | None = None,
) -> LevelsSet:
    """Make each level equal its target; per-level refusals are reported, not raised. Levels in `last_written`
    (unless already at their target by it: a read checks those) are first written against it with
    `compare_and_set`."""
    outcome = LevelsSet()
    pending = dict(targets)
    trusted = [
        LevelWrite(level=level, quantity=targets[level], expected=quantity)
        for level, quantity in (last_written or {}).items()
        if level in targets and quantity != targets[level]
    ]
    if trusted and compare_and_set is not None:
        written = compare_and_set(trusted)
        outcome.written += written.written
        outcome.refused |= written.refused
        settled = {write.level for write in trusted} - set(written.stale)
        pending = {level: quantity for level, quantity in targets.items() if level not in settled}
        if not pending:
            return outcome
        outcome.stale_retries += bool(written.stale)
    for _ in range(MAX_STALE_ROUNDS):
        current = read(list(pending))
        outcome.refused |= current.refused
        writes = writes_to_reach({level: pending[level] for level in current.known}, current.known)
        outcome.unchanged += len(current.known) - len(writes)
        written = current.compare_and_set(writes)
        outcome.written += written.written
        outcome.refused |= written.refused
        if not written.stale:
            return outcome
        outcome.stale_retries += 1
        pending = {level: targets[level] for level in written.stale}
    raise StaleLevels(f"{len(pending)} levels kept changing over {MAX_STALE_ROUNDS} reads")
