"""Matching a link's catalogues when it is granted: every destination variant ends matched, unmatched,
ambiguous or excluded, manual maps are kept, and the link shows the counts."""

from collections import Counter

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.events import ProductChanged
from storelink.domain.links import CatalogueProgress, Identifier, Link, LinkStatus, SkuMapEntry
from storelink.domain.matching import (
    MatchState,
    VariantMatch,
    health_report,
    identifier_value,
    match_catalogues,
    normalise,
)
from storelink.domain.messages import BulkReads, ImportCheckpoint
from storelink.domain.plans import held_at_plan_limit
from storelink.errors import BulkReadFailed, NotFound
from storelink.observability import logger
from storelink.ports import (
    CheckpointQueue,
    EventQueue,
    HealthReports,
    LinkBook,
    LinkedStores,
    SkuMapBook,
    StoreConnector,
    WaitingOrders,
)
from storelink.services.bulk_reads import BulkRead, looked_at, poll_delay
from storelink.services.plans import MatchingWithinPlan
from storelink.services.store_access import connector_of
from storelink.services.waiting_orders import release

# Catalogues up to this many variants are read page by page in the invocation (at Standard pacing about
# 4 minutes for 2,500 each side, docs/benchmarks.md); larger ones through bulk operations, polled from
# the queue, so no invocation waits near Lambda's limit.
INLINE_CATALOGUE_VARIANTS = 2_500
# The link's count of variants left unmatched at the destination's synced-products cap (among `unmatched`).
PLAN_LIMIT_COUNT = "unmatched_at_plan_limit"


class CatalogueImport:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        health: HealthReports,
        checkpoints: CheckpointQueue,
        waiting: WaitingOrders,
        events: EventQueue,
        plans: MatchingWithinPlan,
    ) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors, self._now = linked.connectors, linked.now
        self._health = health
        self._checkpoints = checkpoints
        self._waiting = waiting
        self._events = events
        self._plans = plans

    def import_link(self, link_id: str) -> CatalogueProgress | None:
        """Read both catalogues (inline when small, in bulk when large), match, keep; None if not connected."""
        link = self._connected(link_id)
        if link is None:
            return None
        source, destination = self._connector(link.source_store_id), self._connector(link.destination_store_id)
        if max(source.catalogue_size(), destination.catalogue_size()) <= INLINE_CATALOGUE_VARIANTS:
            link = self._show(link, CatalogueProgress(state="importing", at=self._now()))
            return self._match(link, list(destination.catalogue()), list(source.catalogue()))
        checkpoint = ImportCheckpoint(
            link_id=link_id,
            reads=BulkReads(source=source.start_catalogue_export(), destination=destination.start_catalogue_export()),
        )
        self._show(link, CatalogueProgress(state="importing", at=self._now(), detail="reading both catalogues in bulk"))
        self._checkpoints.resume_later(checkpoint, delay_seconds=0)
        return None

    def resume(self, checkpoint: ImportCheckpoint) -> CatalogueProgress | None:
        """Match once both bulk reads are done; until then, look again later (5, 10, 20 ... 60 s). A read that
        keeps ending without a result fails the import, shown on the link."""
        link = self._connected(checkpoint.link_id)
        if link is None:
            return None
        source, destination = self._connector(link.source_store_id), self._connector(link.destination_store_id)
        try:
            looked = looked_at(
                checkpoint.reads,
                BulkRead(source.bulk_result, source.start_catalogue_export),
                BulkRead(destination.bulk_result, destination.start_catalogue_export),
            )
        except BulkReadFailed as failed:
            logger.warning("catalogue import failed", extra={"link_id": link.link_id, "reason": str(failed)})
            failed_import = CatalogueProgress(state="failed", at=self._now(), detail=str(failed))
            self._show(link, failed_import)
            return failed_import
        if isinstance(looked, BulkReads):
            self._checkpoints.resume_later(checkpoint.model_copy(update={"reads": looked}), poll_delay(looked))
            return None
        source_url, destination_url = looked
        return self._match(link, destination.catalogue_export(destination_url), source.catalogue_export(source_url))

    def _connected(self, link_id: str) -> Link | None:
        link = self._links.get(link_id)
        if link is None or link.status is not LinkStatus.CONNECTED:
            logger.info("catalogue import skipped", extra={"link_id": link_id, "status": link and link.status})
            return None
        return link

    def _match(
        self, link: Link, destination_variants: list[CatalogueVariant], source_variants: list[CatalogueVariant]
    ) -> CatalogueProgress:
        link_id = link.link_id
        stored = self._sku_maps.all_of(link_id)
        # Hand-made maps win over matching; an unmap by hand (no source) stays unmapped.
        manual = {entry.destination_variant_id: entry.source_variant_id for entry in stored if entry.manual}
        taken = sold_by_other_links(link, self._links, self._sku_maps)
        matches = [
            _sold_elsewhere(match, taken)
            for match in match_catalogues(destination_variants, source_variants, link.identifier, manual)
        ]
        # Within the destination's synced-products cap: nothing matched until now is unmapped for it.
        matches = self._plans.catalogue(
            link, matches, {e.destination_variant_id for e in stored if e.state == "matched"}
        )
        written = self._sku_maps.replace_all(link_id, stored, [entry_of(link, match) for match in matches])
        self._health.save(link_id, health_report(destination_variants, source_variants, link.identifier, matches))
        counts = Counter(str(match.state) for match in matches)
        if held := sum(1 for match in matches if held_at_plan_limit(match.state, match.reason)):
            counts[PLAN_LIMIT_COUNT] = held  # of the unmatched: left at the plan's cap, matched when it rises
        progress = CatalogueProgress(state="matched", at=self._now(), counts=dict(counts))
        self._show(link, progress)
        logger.info("catalogue matched", extra={"link_id": link_id, "counts": progress.counts, "writes": written})
        release(link_id, self._waiting, self._events)  # orders that came while the catalogues were matched
        return progress

    def _show(self, link: Link, progress: CatalogueProgress) -> Link:
        """Put the progress on the link, compare-and-set like every link write."""
        shown = link.model_copy(update={"catalogue": progress, "version": link.version + 1})
        self._links.save(shown, None)
        return shown

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)


class ProductRematching:
    """products/update: only what a product change touches is matched again, not the whole catalogue."""

    def __init__(self, *, linked: LinkedStores, plans: MatchingWithinPlan) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors = linked.connectors
        self._plans = plans

    def product_changed(self, event: ProductChanged) -> int:
        """Re-match only what a product change touches, on every connected link of its store.

        On the destination side, the product's variants; on the source side, the destination variants
        mapped to it or sharing an identifier with one of its variants. A variant that disappeared is
        flagged, never left pointing at nothing. Returns the entries rewritten.
        """
        rewritten = 0
        for link in self._links.links_from_source(event.store_id) + self._links.links_to_destination(event.store_id):
            if link.status is not LinkStatus.CONNECTED:
                continue
            stored = self._sku_maps.all_of(link.link_id)
            entries = {entry.destination_variant_id: entry for entry in stored}
            affected = self._affected(link, event, entries)
            if not affected:
                continue
            synced_before = {v for v in affected if v in entries and entries[v].state == "matched"}
            matched_besides = sum(1 for v, entry in entries.items() if v not in affected and entry.state == "matched")
            rematched = []
            for variant_id in affected:
                match = self._rematch(link, variant_id, entries.get(variant_id))
                if match is None:
                    entries[variant_id] = _removed(variant_id, entries.get(variant_id))
                else:
                    rematched.append(match)
            for match in self._plans.product(link, rematched, synced_before, matched_besides):
                entries[match.destination.variant_id] = entry_of(link, match)
            rewritten += len(affected)
            self._sku_maps.replace_all(link.link_id, stored, list(entries.values()))
        return rewritten

    def _affected(self, link: Link, event: ProductChanged, entries: dict[str, SkuMapEntry]) -> set[str]:
        if link.destination_store_id == event.store_id:
            now = {variant.variant_id for variant in event.variants}
            before = {v for v, entry in entries.items() if entry.destination_product_id == event.product_id}
            return now | before
        values = {
            normalise(v.sku if link.identifier is Identifier.SKU else v.barcode, link.identifier)
            for v in event.variants
        }
        return {
            variant_id
            for variant_id, entry in entries.items()
            if entry.source_product_id == event.product_id
            or normalise(entry.identifier_value, link.identifier) in values
        }

    def _rematch(self, link: Link, destination_variant_id: str, before: SkuMapEntry | None) -> VariantMatch | None:
        """The variant matched again; None when it is no longer in the destination."""
        destination = self._connector(link.destination_store_id).variant(destination_variant_id)
        if destination is None:
            return None
        # Search as the matching rules compare: without the spaces around it (the rules then decide).
        value = (identifier_value(destination, link.identifier) or "").strip()
        source_connector = self._connector(link.source_store_id)
        candidates = source_connector.variants_with(link.identifier, value) if value else []
        manual = {destination_variant_id: before.source_variant_id} if before and before.manual else {}
        if before and before.manual and before.source_variant_id:
            candidates += [v for v in [source_connector.variant(before.source_variant_id)] if v is not None]
        [match] = match_catalogues([destination], candidates, link.identifier, manual)
        return match

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)


def _removed(destination_variant_id: str, before: SkuMapEntry | None) -> SkuMapEntry:
    """A variant removed from the destination: flagged, never left pointing at nothing."""
    if before is None:
        raise NotFound(f"variant {destination_variant_id} is in neither the destination nor its map")
    return before.model_copy(
        update={
            "state": "unmatched",
            "source_item_id": None,
            "source_variant_id": None,
            "candidates": (),
            "reason": "the variant was removed from the destination store",
            "manual": False,
        }
    )


def sold_by_other_links(link: Link, links: LinkBook, sku_maps: SkuMapBook) -> dict[str, str]:
    """Destination variants already matched on the destination's other connected links (variant -> link):
    a destination variant sells exactly one source variant, so with several sources, one of them."""
    taken: dict[str, str] = {}
    for other in links.links_to_destination(link.destination_store_id):
        if other.link_id != link.link_id and other.status is LinkStatus.CONNECTED:
            for entry in sku_maps.all_of(other.link_id):
                if entry.state == "matched":
                    taken[entry.destination_variant_id] = other.link_id
    return taken


def _sold_elsewhere(match: VariantMatch, taken: dict[str, str]) -> VariantMatch:
    if match.state is not MatchState.MATCHED or match.destination.variant_id not in taken:
        return match
    reason = f"already sells a source variant through link {taken[match.destination.variant_id]}"
    return match.model_copy(update={"state": MatchState.EXCLUDED, "source": None, "reason": reason})


def entry_of(link: Link, match: VariantMatch) -> SkuMapEntry:
    destination, source = match.destination, match.source
    return SkuMapEntry(
        link_id=link.link_id,
        source_store_id=link.source_store_id,
        identifier=link.identifier,
        destination_item_id=destination.inventory_item_id,
        destination_variant_id=destination.variant_id,
        source_item_id=source.inventory_item_id if source else None,
        source_variant_id=source.variant_id if source else None,
        destination_product_id=destination.product_id,
        source_product_id=source.product_id if source else None,
        sku=destination.sku or "",
        barcode=destination.barcode or "",
        state=match.state.value,
        candidates=match.candidates,
        reason=match.reason,
        manual=match.manual,
    )
