"""A link's mappings as CSV: exported for a spreadsheet, imported back all or nothing.

An import is planned before anything changes: every row is checked, and the plan lists each bad row
with its reason and every real change, so a dry run shows exactly what applying would do.
"""

from collections.abc import Iterable, Iterator, Mapping

from pydantic import ConfigDict, computed_field

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier
from storelink.domain.matching import VariantMatch
from storelink.domain.spreadsheet_csv import (
    NeededColumns,
    RowError,
    SheetReader,
    VariantFinder,
    csv_lines,
    identifier_column,
    listed,
)

EXPORT_COLUMNS = (
    "destination_variant_id",
    "destination_sku",
    "destination_barcode",
    "state",
    "source_variant_id",
    "source_sku",
    "source_barcode",
    "reason",
)
DESTINATION = "destination_variant_id"
SOURCE = "source_variant_id"
# Besides its id, a row may name its source variant by SKU or barcode, compared as matching compares them.
SOURCE_IDENTIFIERS = {"source_sku": Identifier.SKU, "source_barcode": Identifier.BARCODE}
NEEDED_COLUMNS = (
    NeededColumns((DESTINATION,), f"no {DESTINATION} column: it names the destination variant of each row"),
    NeededColumns((SOURCE, *SOURCE_IDENTIFIERS), f"no source column: add {SOURCE}, {' or '.join(SOURCE_IDENTIFIERS)}"),
)
MAX_ROWS = 100_000


class MappingChange(DomainModel):
    """A destination variant that would sell another source variant, or none (unmapped)."""

    model_config = ConfigDict(frozen=True)

    destination_variant_id: str
    from_source_variant_id: str | None
    to_source_variant_id: str | None


class MappingImportPlan(DomainModel):
    model_config = ConfigDict(frozen=True)

    # Rows read, blank ones left out.
    rows: int
    errors: list[RowError]
    # Only rows that change something; rows that restate the current mapping are not changes.
    changes: list[MappingChange]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def applicable(self) -> bool:
        """Apply all the changes or none: only when no row is wrong."""
        return not self.errors


def export_csv(matches: Iterable[VariantMatch]) -> Iterator[str]:
    """One row per destination variant, with the source variant it sells, its state and why; line by line."""
    return csv_lines(EXPORT_COLUMNS, (_exported_row(match) for match in matches))


def _exported_row(match: VariantMatch) -> tuple[str, ...]:
    destination, source = match.destination, match.source
    reason = match.reason
    if match.candidates:
        reason += f" (candidates: {listed(match.candidates)})"
    return (
        destination.variant_id,
        destination.sku or "",
        destination.barcode or "",
        match.state,
        source.variant_id if source else "",
        (source.sku or "") if source else "",
        (source.barcode or "") if source else "",
        reason,
    )


def plan_mapping_import(
    text: str | Iterable[str],
    destination_catalogue: Iterable[CatalogueVariant],
    source_catalogue: Iterable[CatalogueVariant],
    *,
    current: Mapping[str, str | None],
) -> MappingImportPlan:
    """Check every row of a mappings CSV against both catalogues, and list what applying it would change.

    Each row names a destination variant (`destination_variant_id`) and the source variant it sells, by
    `source_variant_id`, `source_sku` or `source_barcode`; all of them empty unmaps it. Several rows may
    name one source variant (a merge to a master SKU). Other columns, such as an export's state and
    reason, are ignored. `current` is the mapping in force: destination variant id → source variant id,
    or None (or absent) when unmapped. `text` is the file, or its lines as they are read (a file job's upload).
    """
    sheet = SheetReader(text, needed=NEEDED_COLUMNS, max_rows=MAX_ROWS)
    sources = VariantFinder(
        source_catalogue,
        sheet,
        id_column=SOURCE,
        columns=[identifier_column(name, identifier) for name, identifier in SOURCE_IDENTIFIERS.items()],
        noun="source variant",
        catalogue="the source catalogue",
        to_be="linked",
    )
    destination_by_id = {variant.variant_id: variant for variant in destination_catalogue}
    changes: list[MappingChange] = []
    seen: dict[str, int] = {}
    for row_number, cells in sheet.rows():
        destination_id = cells.get(DESTINATION, "")
        if destination_id in seen:
            message = f"destination variant {destination_id} is also on row {seen[destination_id]}: list it once"
            sheet.error(row_number, DESTINATION, message)
            continue
        destination = destination_by_id.get(destination_id)
        if not destination_id:
            sheet.error(row_number, DESTINATION, "empty: name the destination variant this row maps")
        elif destination is None:
            message = f"no destination variant {destination_id} in the destination catalogue"
            sheet.error(row_number, DESTINATION, message)
        else:
            seen[destination_id] = row_number
        # The source is checked even when the destination is wrong, so one pass shows all of a row's mistakes.
        valid, chosen = sources.find(row_number, cells)
        if destination is None or not valid:
            continue
        # Unmapping a kit is harmless (it is never mapped); mapping one is refused.
        if chosen is not None and (why := destination.not_linkable_because):
            sheet.error(row_number, DESTINATION, f"destination variant {destination_id} cannot be linked: {why}")
            continue
        to_id = chosen.variant_id if chosen else None
        if (from_id := current.get(destination_id)) != to_id:
            changes.append(
                MappingChange(
                    destination_variant_id=destination_id, from_source_variant_id=from_id, to_source_variant_id=to_id
                )
            )
    return MappingImportPlan(rows=sheet.rows_read, errors=sheet.errors, changes=changes)
