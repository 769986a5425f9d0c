"""A link's mappings as CSV: exported for a spreadsheet, imported back all or nothing.

An import is planned before anything changes: every row is checked, and the plan lists each bad row
with its reason and every real change, so a dry run shows exactly what applying would do.
"""

import csv
import io
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, computed_field

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier
from storelink.domain.matching import VariantMatch, by_identifier, identifier_label, identifier_value, normalise

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
MAX_ROWS = 100_000
# A spreadsheet runs a cell that starts with one of these as a formula; a store's SKU must not (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Candidates named in a reason; the count is always given.
CANDIDATES_SHOWN = 5


class RowError(BaseModel):
    model_config = ConfigDict(frozen=True)

    # As a spreadsheet numbers them: the header is row 1.
    row_number: int
    column: str
    message: str


class MappingChange(BaseModel):
    """A destination variant that would sell another source variant, or none (unmapped)."""

    model_config = ConfigDict(frozen=True)

    destination_variant_id: str
    from_source_variant_id: str | None
    to_source_variant_id: str | None


class MappingImportPlan(BaseModel):
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


def _spreadsheet_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _from_spreadsheet_cell(value: str) -> str:
    value = value.strip()
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _candidates(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:CANDIDATES_SHOWN])
    return shown + (f" and {len(ids) - CANDIDATES_SHOWN} more" if len(ids) > CANDIDATES_SHOWN else "")


def export_csv(matches: Iterable[VariantMatch]) -> str:
    """One row per destination variant, with the source variant it sells, its state and why."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for match in matches:
        destination, source = match.destination, match.source
        reason = match.reason
        if match.candidates:
            reason += f" (candidates: {_candidates(match.candidates)})"
        row = (
            destination.variant_id,
            destination.sku or "",
            destination.barcode or "",
            match.state,
            source.variant_id if source else "",
            (source.sku or "") if source else "",
            (source.barcode or "") if source else "",
            reason,
        )
        writer.writerow(_spreadsheet_cell(value) for value in row)
    return out.getvalue()


class _Check:
    """What an import is checked against, and the errors found so far."""

    def __init__(self, destination: Iterable[CatalogueVariant], source: Iterable[CatalogueVariant]) -> None:
        self.destination_by_id = {variant.variant_id: variant for variant in destination}
        source = list(source)
        self.source_by_id = {variant.variant_id: variant for variant in source}
        self.source_by_identifier = {identifier: by_identifier(source, identifier) for identifier in Identifier}
        self.errors: list[RowError] = []

    def error(self, row_number: int, column: str, message: str) -> None:
        self.errors.append(RowError(row_number=row_number, column=column, message=message))

    def source_variant(self, row_number: int, cells: Mapping[str, str]) -> tuple[bool, CatalogueVariant | None]:
        """Whether the row's source is valid, and the source variant it names (None: unmap)."""
        given = {column: cells[column] for column in SOURCE_IDENTIFIERS if cells.get(column)}
        if cells.get(SOURCE):
            column, value = SOURCE, cells[SOURCE]
            chosen = self.source_by_id.get(value)
            if chosen is None:
                self.error(row_number, column, f"no source variant {value} in the source catalogue")
                return False, None
        elif given:
            column, value = next(iter(given.items()))
            identifier, label = SOURCE_IDENTIFIERS[column], identifier_label(SOURCE_IDENTIFIERS[column])
            found = self.source_by_identifier[identifier].get(normalise(value, identifier) or "", [])
            if len(found) != 1:
                if found:
                    ids = _candidates(variant.variant_id for variant in found)
                    message = f"{label} {value} is on {len(found)} source variants ({ids}): name one in {SOURCE}"
                else:
                    message = f"no source variant has {label} {value}"
                self.error(row_number, column, message)
                return False, None
            [chosen] = found
            del given[column]
        else:
            return True, None
        valid = True
        # Every other source column given must describe the same variant: an edited SKU beside an old id
        # is a contradiction to show, not to settle by guessing.
        for other, other_value in given.items():
            identifier = SOURCE_IDENTIFIERS[other]
            has = identifier_value(chosen, identifier)
            if normalise(other_value, identifier) != normalise(has, identifier):
                message = (
                    f"{column} {value} is source variant {chosen.variant_id}, whose {identifier_label(identifier)} "
                    f"is {has or 'empty'}, not {other_value}: correct one of them or leave {other} empty"
                )
                self.error(row_number, other, message)
                valid = False
        if why := chosen.not_linkable_because:
            self.error(row_number, column, f"source variant {chosen.variant_id} cannot be linked: {why}")
            valid = False
        return valid, chosen


def plan_mapping_import(
    text: str,
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
    or None (or absent) when unmapped.
    """
    check = _Check(destination_catalogue, source_catalogue)
    changes: list[MappingChange] = []
    # utf-8-sig files (Excel's "CSV UTF-8") start with a byte order mark.
    records = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header: list[str] | None = None
    seen: dict[str, int] = {}
    count = row_number = 0
    try:
        for row_number, record in enumerate(records, start=1):
            if header is None:
                header = [name.strip().lower() for name in record]
                if not _header_is_usable(header, check):
                    break
                continue
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > MAX_ROWS:
                check.error(row_number, "", f"more than {MAX_ROWS:,} rows: split the file and import each part")
                break
            if any(cell.strip() for cell in record[len(header) :]):
                message = f'{len(record)} values for {len(header)} columns: quote values that contain a comma, "A,1"'
                check.error(row_number, "", message)
                continue
            cells = dict(zip(header, (_from_spreadsheet_cell(cell) for cell in record), strict=False))
            if change := _planned(row_number, cells, check, seen, current):
                changes.append(change)
    except csv.Error as error:
        check.error(row_number + 1, "", f"not readable as CSV: {error}")
    if header is None:
        check.error(1, "", f"the file is empty: its first row names the columns, {DESTINATION} and {SOURCE}")
    return MappingImportPlan(rows=count, errors=check.errors, changes=changes)


def _header_is_usable(header: list[str], check: _Check) -> bool:
    usable = True
    for name in sorted({name for name in header if name and header.count(name) > 1}):
        check.error(1, name, f"column {name} appears {header.count(name)} times")
        usable = False
    if DESTINATION not in header:
        check.error(1, DESTINATION, f"no {DESTINATION} column: it names the destination variant of each row")
        usable = False
    if SOURCE not in header and not any(column in header for column in SOURCE_IDENTIFIERS):
        check.error(1, SOURCE, f"no source column: add {SOURCE}, {' or '.join(SOURCE_IDENTIFIERS)}")
        usable = False
    return usable


def _planned(
    row_number: int, cells: Mapping[str, str], check: _Check, seen: dict[str, int], current: Mapping[str, str | None]
) -> MappingChange | None:
    """The row's change, if it is valid and changes anything; its errors go to `check`."""
    destination_id = cells.get(DESTINATION, "")
    if destination_id in seen:
        message = f"destination variant {destination_id} is also on row {seen[destination_id]}: list it once"
        check.error(row_number, DESTINATION, message)
        return None
    destination = check.destination_by_id.get(destination_id)
    if not destination_id:
        check.error(row_number, DESTINATION, "empty: name the destination variant this row maps")
    elif destination is None:
        check.error(row_number, DESTINATION, f"no destination variant {destination_id} in the destination catalogue")
    else:
        seen[destination_id] = row_number
    # The source is checked even when the destination is wrong, so one pass shows all of a row's mistakes.
    valid, chosen = check.source_variant(row_number, cells)
    if destination is None or not valid:
        return None
    # Unmapping a kit is harmless (it is never mapped); mapping one is refused.
    if chosen is not None and (why := destination.not_linkable_because):
        check.error(row_number, DESTINATION, f"destination variant {destination_id} cannot be linked: {why}")
        return None
    to_id = chosen.variant_id if chosen else None
    from_id = current.get(destination_id)
    if from_id == to_id:
        return None
    return MappingChange(
        destination_variant_id=destination_id, from_source_variant_id=from_id, to_source_variant_id=to_id
    )
