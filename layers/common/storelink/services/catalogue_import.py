"""Matching a link's catalogues when it is granted: every destination variant ends matched, unmatched,
ambiguous or excluded, manual maps are kept, and the link shows the counts."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from storelink.domain.links import CatalogueProgress, Link, LinkStatus, SkuMapEntry
from storelink.domain.matching import HealthReport, VariantMatch, health_report, match_catalogues
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
        written = self._sku_maps.replace_all(link_id, [entry_of(link_id, match) for match in matches])
        self._health.save(link_id, health_report(destination_variants, source_variants, link.identifier, matches))
        progress = CatalogueProgress(
            state="matched", at=self._now(), counts=dict(Counter(str(match.state) for match in matches))
        )
        self._show(link, progress)
        logger.info("catalogue matched", extra={"link_id": link_id, "counts": progress.counts, "writes": written})
        return progress

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


def entry_of(link_id: str, match: VariantMatch) -> SkuMapEntry:
    destination, source = match.destination, match.source
    return SkuMapEntry(
        link_id=link_id,
        destination_item_id=destination.inventory_item_id,
        destination_variant_id=destination.variant_id,
        source_item_id=source.inventory_item_id if source else None,
        source_variant_id=source.variant_id if source else None,
        sku=destination.sku or "",
        state=match.state.value,
        candidates=match.candidates,
        reason=match.reason,
        manual=match.manual,
    )
