"""A link's SKU map as its parties see and change it: list by state, map or unmap by hand, CSV in and out.

Either party reads the map; the destination changes it (it decides what it sells). Hand-made maps are
kept when the catalogues are matched again.
"""

from collections.abc import Iterable, Iterator

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Link, Role, SkuMapEntry
from storelink.domain.mapping_csv import MappingImportPlan, export_csv, plan_mapping_import
from storelink.domain.matching import HealthReport, MatchState, VariantMatch, health_report
from storelink.domain.stores import Store
from storelink.errors import Conflict, InvalidRequest, NotAllowed, PayloadTooLarge
from storelink.ports import HealthReports, LinkedStores, StoreConnector
from storelink.services.bulk_stock import MAX_CSV_BYTES
from storelink.services.catalogue_import import entry_of, sold_by_other_links
from storelink.services.links import LinksOfParty
from storelink.services.plans import PlanLimits
from storelink.services.store_access import connector_of


class Mappings:
    def __init__(
        self,
        *,
        links: LinksOfParty,
        linked: LinkedStores,
        health: HealthReports,
        plans: PlanLimits,
    ) -> None:
        self._links = links
        self._link_book, self._stores, self._sku_maps = linked.links, linked.stores, linked.sku_maps
        self._connectors = linked.connectors
        self._health = health
        self._plans = plans

    def health(self, caller: Store, link_id: str) -> HealthReport:
        """After matching, the report the import kept; before it (a pending link), one read from the stores
        now, with the catalogue-side findings only."""
        link = self._links.get(caller, link_id)
        report = self._health.get(link.link_id)
        if report is None:
            destination, source = self._catalogues(link)
            report = health_report(list(destination.values()), list(source.values()), link.identifier)
        return report

    def page(
        self, caller: Store, link_id: str, state: MatchState | None, *, limit: int, cursor: str | None
    ) -> tuple[list[SkuMapEntry], str | None]:
        link = self._links.get(caller, link_id)
        return self._sku_maps.page_in_state(link.link_id, state, limit=limit, cursor=cursor)

    def map(self, caller: Store, link_id: str, destination_variant_id: str, source_variant_id: str) -> SkuMapEntry:
        link = self._changeable_by(caller, link_id)
        destination = self._variant(link.destination_store_id, destination_variant_id, "destination")
        source = self._variant(link.source_store_id, source_variant_id, "source")
        for variant in (destination, source):
            if reason := variant.not_linkable_because:
                raise InvalidRequest(f"{variant.variant_id} cannot be linked: {reason}")
        if other := sold_by_other_links(link, self._link_book, self._sku_maps).get(destination_variant_id):
            raise Conflict(
                f"{destination_variant_id} already sells a source variant through link {other}", link_id=other
            )
        if self._sku_maps.matched_entry(link.link_id, destination_variant_id) is None:
            self._plans.check_new_mappings(link.destination_store_id, 1)  # a remap takes no more of the plan
        match = VariantMatch(
            destination=destination, state=MatchState.MATCHED, source=source, reason="mapped by hand", manual=True
        )
        return self._replace(link, destination_variant_id, entry_of(link, match))

    def unmap(self, caller: Store, link_id: str, destination_variant_id: str) -> SkuMapEntry:
        link = self._changeable_by(caller, link_id)
        destination = self._variant(link.destination_store_id, destination_variant_id, "destination")
        match = VariantMatch(
            destination=destination, state=MatchState.UNMATCHED, reason="unmapped by hand", manual=True
        )
        return self._replace(link, destination_variant_id, entry_of(link, match))

    def export(self, caller: Store, link_id: str) -> Iterator[str]:
        """The map as CSV lines, with both sides' SKUs and barcodes read from the stores as they are now: joined
        for a direct answer, uploaded as they come by an export job. The link and the stores are read at once."""
        link = self._links.get(caller, link_id)
        destination, source = self._catalogues(link)
        return export_csv(
            VariantMatch(
                destination=destination[entry.destination_variant_id],
                state=MatchState(entry.state),
                source=source.get(entry.source_variant_id or ""),
                candidates=entry.candidates,
                reason=entry.reason,
                manual=entry.manual,
            )
            for entry in self._sku_maps.all_of(link.link_id)
            if entry.destination_variant_id in destination
        )

    def import_csv(self, caller: Store, link_id: str, text: str | Iterable[str], *, dry_run: bool) -> MappingImportPlan:
        """Check every row first; apply all of them, or none and say which rows are wrong and why. `text` is the
        file, or its lines as they are read (a file job's upload). Beyond the destination's plan, none either
        (PlanLimitReached), a dry run too: it answers what applying would."""
        link = self._changeable_by(caller, link_id)
        if isinstance(text, str) and (size := len(text.encode())) > MAX_CSV_BYTES:
            raise PayloadTooLarge(
                f"the CSV is {size:,} bytes; the limit is {MAX_CSV_BYTES:,}: upload a larger file through "
                f"POST /links/{link_id}/mappings/imports (docs/files.md)"
            )
        destination_by_id, source_by_id = self._catalogues(link)
        stored = self._sku_maps.all_of(link.link_id)
        entries = {entry.destination_variant_id: entry for entry in stored}
        current = {variant_id: entry.source_variant_id for variant_id, entry in entries.items()}
        plan = plan_mapping_import(text, list(destination_by_id.values()), list(source_by_id.values()), current=current)
        if not plan.applicable:
            return plan
        for change in plan.changes:
            chosen = source_by_id.get(change.to_source_variant_id or "")
            match = VariantMatch(
                destination=destination_by_id[change.destination_variant_id],
                state=MatchState.MATCHED if chosen else MatchState.UNMATCHED,
                source=chosen,
                reason="mapped from CSV" if chosen else "unmapped from CSV",
                manual=True,
            )
            entries[change.destination_variant_id] = entry_of(link, match)
        adding = _matched(entries.values()) - _matched(stored)
        self._plans.check_new_mappings(link.destination_store_id, adding)
        if not dry_run:
            self._sku_maps.replace_all(link.link_id, stored, list(entries.values()))
        return plan

    def _catalogues(self, link: Link) -> tuple[dict[str, CatalogueVariant], dict[str, CatalogueVariant]]:
        destination = {
            variant.variant_id: variant for variant in self._connector(link.destination_store_id).catalogue()
        }
        source = {variant.variant_id: variant for variant in self._connector(link.source_store_id).catalogue()}
        return destination, source

    def check_changeable_by(self, caller: Store, link_id: str) -> None:
        """Refuse, as import_csv would, a caller that may not change the link's map (before a file job is made)."""
        self._changeable_by(caller, link_id)

    def _changeable_by(self, caller: Store, link_id: str) -> Link:
        link = self._links.get(caller, link_id)
        if link.role_of(caller.store_id) is not Role.DESTINATION:
            raise NotAllowed("only the destination changes a link's SKU map")
        return link

    def _replace(self, link: Link, destination_variant_id: str, entry: SkuMapEntry) -> SkuMapEntry:
        stored = self._sku_maps.all_of(link.link_id)
        others = [e for e in stored if e.destination_variant_id != destination_variant_id]
        self._sku_maps.replace_all(link.link_id, stored, [*others, entry])
        return entry

    def _variant(self, store_id: str, variant_id: str, side: str) -> CatalogueVariant:
        variant = self._connector(store_id).variant(variant_id)
        if variant is None:
            raise InvalidRequest(f"the {side} store has no variant {variant_id}")
        return variant

    def _connector(self, store_id: str) -> StoreConnector:
        return connector_of(self._stores, self._connectors, store_id)


def _matched(entries: Iterable[SkuMapEntry]) -> int:
    return sum(1 for entry in entries if entry.state == MatchState.MATCHED)
