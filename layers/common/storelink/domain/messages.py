"""Every message storelink puts on a queue or the event bus, and who reads it (queues in template.yaml).

StockChangesQueue (FIFO, a group per source level or order): `StockLevelChanged` (domain/stock.py),
    `OrderChanged` (created) and `RefundCreated` (domain/events.py). Sent by WebhookIngressFunction, and by
    CatalogueImportFunction for orders that waited for the SKU map. Read by StockWorkerFunction.
OrderEventsQueue (FIFO, a group per order): `OrderChanged`, `FulfilmentCreated`, `RefundCreated`
    (domain/events.py) from WebhookIngressFunction; `PushRequested` from ManagementApiFunction (a push by
    hand). Read by OrderWorkerFunction.
StoreEventsQueue: `AppUninstalled`, `ProductChanged` (domain/events.py) from WebhookIngressFunction. Read by
    StoreEventsFunction.
SweepQueue: `SourceSweep` from StockSweepFunction (every 15 minutes, one per source store); `SweepJob` from
    SweepWorkerFunction (a source's links spread over the window, a large link's next part or bulk read still
    running) and ManagementApiFunction (a sweep asked for); `ProductRemovalJob` (domain/product_removal.py) from
    ManagementApiFunction (a disconnect deleting products). Read by SweepWorkerFunction.
CatalogueImportQueue: the event bus's `LinkGranted` / `LinkReconnected` (rule LinkGrantedRule; read as
    entrypoints/link_events.py) and `ImportCheckpoint` (a bulk import still running). Read by
    CatalogueImportFunction.
OrderHistoryQueue: the same link events, and `HistoryChunk` (the next chunk). Read by OrderHistoryFunction.
The default event bus: `LinkGranted`, `LinkDenied`, `LinkBlocked`, `LinkUnblocked`, `LinkDisconnected`,
    `LinkReconnected` (services/links.py, EVENT_OF_ACTION) from ManagementApiFunction and
    StoreEventsFunction; LinkGrantedRule sends the first and the last to the two queues above.

Every message also carries the `CorrelationId` SQS attribute (docs/observability.md); a failed one goes to its
queue's dead-letter queue with its reason, or is parked under its store (docs/failures.md).
"""

from typing import Literal

from pydantic import AwareDatetime, ConfigDict

from storelink.domain import DomainModel
from storelink.domain.links import SweepReport


class SourceSweep(DomainModel):
    """The 15-minute sweep of one source store's connected links: its levels read once for all of them."""

    # Required, so that no sweep job on the same queue ever reads as one.
    kind: Literal["sweep_source"]
    source_store_id: str


class SweepJob(DomainModel):
    link_id: str
    # Where the next part of a large link starts (a position in its matched SKU-map entries), and what
    # the parts before it found.
    resume_after: str | None = None
    so_far: SweepReport | None = None
    # The source's bulk read for this sweep, shared by its large links (SourceSweep started it).
    source_export: str | None = None
    # A link read in bulk: its two reads once started.
    bulk: "BulkReads | None" = None


class BulkReads(DomainModel):
    """The bulk operations reading every level of a link's source and destination, and how often they were
    found still running."""

    source: str
    destination: str
    polls: int = 0
    # How often a read that ended without a result was started again.
    restarts: int = 0


class HistoryChunk(DomainModel):
    """Continue the import of link `link_id` that its grant at `until` started, from checkpoint `chunk`."""

    kind: Literal["history_chunk"] = "history_chunk"
    link_id: str
    until: AwareDatetime
    chunk: int = 0
    # How often this chunk has waited for the catalogue match.
    waits: int = 0


class ImportCheckpoint(DomainModel):
    """Where a bulk catalogue import stands, carried through the queue between invocations."""

    kind: Literal["catalogue_checkpoint"] = "catalogue_checkpoint"
    link_id: str
    reads: BulkReads


class CatalogueMatchRequested(DomainModel):
    """Match a connected link's catalogues again: its destination's plan has room for variants left unmapped at
    the synced-products cap (services/plans.py, PlanPushes)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["catalogue_match"] = "catalogue_match"
    link_id: str


class PushRequested(DomainModel):
    """Push a mirror's part into its source (by hand through the API, or again after a failure)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["push_requested"] = "push_requested"
    destination_store_id: str
    order_id: str
    link_id: str
    by: str = "hand"
