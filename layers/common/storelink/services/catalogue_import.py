"""Matching a link's catalogues when it is granted: every destination variant ends matched, unmatched,
ambiguous or excluded, manual maps are kept, and the link shows the counts."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from storelink.domain.events import ProductChanged
from storelink.domain.links import CatalogueProgress, Identifier, Link, LinkStatus, SkuMapEntry
from storelink.domain.matching import (
    HealthReport,
    VariantMatch,
    health_report,
    identifier_value,
    match_catalogues,
    normalise,
)
from storelink.errors import NotFound
from storelink.observability import logger
from storelink.ports import ConnectorFactory, HealthReports, LinkBook, SkuMapBook, StoreConnector, StoreRepository


class CatalogueImport:
    def __init__(
        self,
        *,
        stores: StoreRepository,
        links: LinkBook,
        sku_maps: SkuMapBook,
        health: HealthReports,
        connectors: ConnectorFactory,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._health = health
        self._connectors = connectors
        self._now = now

    def import_link(self, link_id: str) -> CatalogueProgress | None:
        """Read both catalogues, match them by the link's identifier, keep the result; None if not connected."""
        link = self._links.get(link_id)
        if link is None or link.status is not LinkStatus.CONNECTED:
            logger.info("catalogue import skipped", extra={"link_id": link_id, "status": link and link.status})
            return None
        link = self._show(link, CatalogueProgress(state="importing", at=self._now()))
        source_variants = list(self._connector(link.source_store_id).catalogue())
        destination_variants = list(self._connector(link.destination_store_id).catalogue())
        # Hand-made maps win over matching; an unmap by hand (no source) stays unmapped.
        manual = {
            entry.destination_variant_id: entry.source_variant_id
            for entry in self._sku_maps.all_of(link_id)
            if entry.manual
        }
        matches = match_catalogues(destination_variants, source_variants, link.identifier, manual)
        written = self._sku_maps.replace_all(link_id, [entry_of(link, match) for match in matches])
        self._health.save(link_id, health_report(destination_variants, source_variants, link.identifier, matches))
        progress = CatalogueProgress(
            state="matched", at=self._now(), counts=dict(Counter(str(match.state) for match in matches))
        )
        self._show(link, progress)
        logger.info("catalogue matched", extra={"link_id": link_id, "counts": progress.counts, "writes": written})
        return progress

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
            entries = {entry.destination_variant_id: entry for entry in self._sku_maps.all_of(link.link_id)}
            affected = self._affected(link, event, entries)
            if not affected:
                continue
            for variant_id in affected:
                entries[variant_id] = self._rematch(link, variant_id, entries.get(variant_id))
            rewritten += len(affected)
            self._sku_maps.replace_all(link.link_id, list(entries.values()))
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

    def _rematch(self, link: Link, destination_variant_id: str, before: SkuMapEntry | None) -> SkuMapEntry:
        destination = self._connector(link.destination_store_id).variant(destination_variant_id)
        if destination is None:
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
        # Search as the matching rules compare: without the spaces around it (the rules then decide).
        value = (identifier_value(destination, link.identifier) or "").strip()
        source_connector = self._connector(link.source_store_id)
        candidates = source_connector.variants_with(link.identifier, value) if value else []
        manual = {destination_variant_id: before.source_variant_id} if before and before.manual else {}
        if before and before.manual and before.source_variant_id:
            candidates += [v for v in [source_connector.variant(before.source_variant_id)] if v is not None]
        [match] = match_catalogues([destination], candidates, link.identifier, manual)
        return entry_of(link, match)

    def _show(self, link: Link, progress: CatalogueProgress) -> Link:
        """Put the progress on the link, compare-and-set like every link write."""
        shown = link.model_copy(update={"catalogue": progress, "version": link.version + 1})
        self._links.save(shown, None)
        return shown

    def health(self, link: Link) -> HealthReport:
        report = self._health.get(link.link_id)
        if report is None:
            raise NotFound(f"link {link.link_id} has no catalogue report yet: it is matched when granted")
        return report

    def _connector(self, store_id: str) -> StoreConnector:
        store = self._stores.get(store_id)
        if store is None:
            raise NotFound(f"store {store_id} no longer exists")
        return self._connectors.connector_for(store)


def entry_of(link: Link, match: VariantMatch) -> SkuMapEntry:
    destination, source = match.destination, match.source
    return SkuMapEntry(
        link_id=link.link_id,
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
