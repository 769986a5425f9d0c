"""A store's stock bulk-adjusted from a CSV (Shopdesk's Stock Control → Bulk adjustment): all rows or none.

Each row names a variant of the store by `sku`, `barcode`, `variant_id` or `inventory_item_id`, a
`location` by its name or id, and either `set`, the new available quantity, or `adjust`, a change to add
(negative to take away). A file is checked in two steps before anything is written: reading it against
the store's catalogue and locations, then planning it against the levels read from the store. The plan
gives every row's current and new quantity, so a dry run shows exactly what applying would do.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum

from pydantic import ConfigDict, computed_field

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant, Location
from storelink.domain.links import MAX_UNITS, Identifier
from storelink.domain.spreadsheet_csv import (
    NeededColumns,
    RowError,
    SheetReader,
    VariantColumn,
    VariantFinder,
    csv_lines,
    identifier_column,
    listed,
)
from storelink.domain.stock import InventoryRef

VARIANT = "variant_id"
# Besides its id, a row may name its variant by one of these; the first given picks it, the others must agree.
VARIANT_COLUMNS = (
    VariantColumn(
        name="inventory_item_id",
        label="inventory item",
        value_of=lambda variant: variant.inventory_item_id,
        compared_as=lambda value: value or None,
    ),
    identifier_column("sku", Identifier.SKU),
    identifier_column("barcode", Identifier.BARCODE),
)
# As the header check and messages list them: a SKU is what merchants know their variants by.
VARIANT_NAMES = ("sku", VARIANT, "inventory_item_id", "barcode")
ANY_VARIANT_NAME = f"{', '.join(VARIANT_NAMES[:-1])} or {VARIANT_NAMES[-1]}"
LOCATION = "location"


class StockAction(StrEnum):
    """What a row does to its level; each is also the column that gives the quantity."""

    SET = "set"
    ADJUST = "adjust"


VARIANT_NEEDED = NeededColumns(VARIANT_NAMES, f"no variant column: add {ANY_VARIANT_NAME}")
LOCATION_NEEDED = NeededColumns((LOCATION,), f"no {LOCATION} column: it names where each row's stock is, by name or id")
ACTION_NEEDED = NeededColumns(
    tuple(StockAction), "no quantity column: add set (the new quantity) or adjust (the change)"
)
# ShopWired's own stock export (its stock management page), read as it comes: a SKU and its stock quantity, under
# the headers assumed in docs/stock-csv.md. Its accounts keep one stock per SKU, so the file names no location.
ALIASES = {"sku code": "sku", "stock": StockAction.SET}
# What storelink's own export writes: a file any store of the merchant's can import (its variants found by SKU).
EXPORT_COLUMNS = ("sku", "product", "variant", LOCATION, StockAction.SET)
# A request has 15 s to read and write its rows; a file job has 15 minutes, and as many rows as a mappings file.
MAX_ROWS = 10_000
MAX_JOB_ROWS = 100_000
WHOLE_NUMBER = re.compile(r"[+-]?\d+")


class StockRow(DomainModel):
    """A row read and found in the store: one of its levels, and what to do to it."""

    model_config = ConfigDict(frozen=True)

    row_number: int
    variant_id: str
    sku: str | None
    location: str
    level: InventoryRef
    action: StockAction
    # The new available quantity (set) or the change to it (adjust).
    quantity: int

    def new_level(self, current: int) -> int:
        return self.quantity if self.action is StockAction.SET else current + self.quantity

    @property
    def variant(self) -> str:
        """The variant as the merchant knows it."""
        return f"SKU {self.sku}" if self.sku else f"variant {self.variant_id}"


class StockFile(DomainModel):
    """A file as read: its rows found in the store, and what is wrong with the others."""

    model_config = ConfigDict(frozen=True)

    rows_read: int
    rows: list[StockRow]
    errors: list[RowError]


class PlannedLevel(StockRow):
    current: int
    new: int


class StockUpdatePlan(DomainModel):
    model_config = ConfigDict(frozen=True)

    # Rows read, blank ones left out.
    rows: int
    errors: list[RowError]
    # Every valid row, with the level it would change from and to (the same for a row that changes nothing).
    levels: list[PlannedLevel]
    # Whether the levels were written; a dry run, or a plan with errors, writes nothing.
    applied: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def applicable(self) -> bool:
        """Write all the rows or none: only when no row is wrong."""
        return not self.errors


def read_stock_csv(
    text: str | Iterable[str],
    catalogue: Iterable[CatalogueVariant],
    locations: Iterable[Location],
    *,
    max_rows: int | None = None,
) -> StockFile:
    """Read every row, finding its variant in `catalogue` and its location among `locations`. `text` is the file,
    or its lines as they are read (a file job's upload, up to MAX_JOB_ROWS); at most MAX_ROWS unless `max_rows`.

    A level may be named once per file. Kits and untracked variants hold no stock of their own. A store with one
    location needs no location column: every row is at it.
    """
    places = _Locations(locations)
    needed = [VARIANT_NEEDED, ACTION_NEEDED] if places.only else [VARIANT_NEEDED, LOCATION_NEEDED, ACTION_NEEDED]
    sheet = SheetReader(text, needed=needed, max_rows=max_rows or MAX_ROWS, aliases=ALIASES)
    variants = VariantFinder(
        catalogue,
        sheet,
        id_column=VARIANT,
        columns=VARIANT_COLUMNS,
        noun="variant",
        catalogue="the store's catalogue",
        to_be="adjusted",
    )
    rows: list[StockRow] = []
    seen: dict[InventoryRef, int] = {}
    for row_number, cells in sheet.rows():
        # Every cell is checked even when an earlier one is wrong, so one pass shows all of a row's mistakes.
        valid, variant = variants.find(row_number, cells)
        if valid and variant is None:
            column = next((name for name in VARIANT_NAMES if name in cells), "")
            sheet.error(row_number, column, f"empty: name the variant by {ANY_VARIANT_NAME}")
        location = places.find(row_number, cells.get(LOCATION, ""), sheet)
        action = _action(row_number, cells, sheet)
        if not valid or variant is None or location is None or action is None:
            continue
        row = StockRow(
            row_number=row_number,
            variant_id=variant.variant_id,
            sku=variant.sku,
            location=location.name,
            level=InventoryRef(item_id=variant.inventory_item_id, location_id=location.location_id),
            action=action[0],
            quantity=action[1],
        )
        if row.level in seen:
            message = f"{row.variant} at {row.location} is also on row {seen[row.level]}: list each level once"
            sheet.error(row_number, LOCATION, message)
            continue
        seen[row.level] = row_number
        rows.append(row)
    return StockFile(rows_read=sheet.rows_read, rows=rows, errors=sheet.errors)


def plan_stock_update(file: StockFile, current: Mapping[InventoryRef, int]) -> StockUpdatePlan:
    """Each valid row's level from and to, given the store's `current` levels (a level it does not stock
    is absent). No level ends below zero or above what the store holds."""
    errors = list(file.errors)
    levels: list[PlannedLevel] = []
    for row in file.rows:
        available = current.get(row.level)
        if available is None:
            message = f"{row.variant} is not stocked at {row.location}: stock it there in the store first"
            errors.append(RowError(row_number=row.row_number, column=LOCATION, message=message))
            continue
        new = row.new_level(available)
        if not 0 <= new <= MAX_UNITS:
            limit = "below 0" if new < 0 else f"above {MAX_UNITS:,}"
            message = f"would take {row.variant} at {row.location} from {available} to {new}, {limit}"
            errors.append(RowError(row_number=row.row_number, column=row.action, message=message))
            continue
        levels.append(PlannedLevel(**dict(row), current=available, new=new))
    errors.sort(key=lambda error: error.row_number)
    return StockUpdatePlan(rows=file.rows_read, errors=errors, levels=levels)


def export_stock_csv(
    pages: Iterable[tuple[Iterable[CatalogueVariant], Mapping[InventoryRef, int]]], locations: Iterable[Location]
) -> Iterator[str]:
    """The store's stock line by line, from pages of its variants each with their levels read: one row per variant
    with a SKU and location that stocks it. It is what read_stock_csv reads back, in this store or another of the
    merchant's (a ShopWired master's export imported in its replica), since the rows name their variants by SKU and
    their locations by name."""
    locations = list(locations)
    return csv_lines(
        EXPORT_COLUMNS,
        (
            (variant.sku or "", variant.product_title, variant.title, location.name, str(levels[level]))
            for variants, levels in pages
            for variant in exported(variants)
            for location, level in zip(locations, levels_of(variant, locations), strict=True)
            if level in levels
        ),
    )


def levels_of(variant: CatalogueVariant, locations: Iterable[Location]) -> list[InventoryRef]:
    """The variant's level at each location, in their order."""
    return [InventoryRef(item_id=variant.inventory_item_id, location_id=location.location_id) for location in locations]


def exported(variants: Iterable[CatalogueVariant]) -> list[CatalogueVariant]:
    """The variants an export lists: those holding stock of their own that another store can find by SKU."""
    return [variant for variant in variants if variant.sku and not variant.not_linkable_because]


class _Locations:
    """The store's locations by id and by name (case and surrounding spaces ignored)."""

    def __init__(self, locations: Iterable[Location]) -> None:
        self._by_id: dict[str, Location] = {}
        self._by_name: dict[str, list[Location]] = {}
        for location in locations:
            self._by_id[location.location_id] = location
            self._by_name.setdefault(location.name.strip().casefold(), []).append(location)
        active = [location for location in self._by_id.values() if location.active]
        # The store's one location, when it has only one: a row that names none is at it.
        self.only = active[0] if len(active) == 1 else None

    def find(self, row_number: int, value: str, sheet: SheetReader) -> Location | None:
        if not value and self.only is not None:
            return self.only
        found = [self._by_id[value]] if value in self._by_id else self._by_name.get(value.casefold(), [])
        if len(found) == 1 and found[0].active:
            return found[0]
        if not value:
            message = "empty: name the location by its name or id"
        elif len(found) > 1:
            message = f"{len(found)} locations are named {value} ({listed(p.location_id for p in found)}): use its id"
        elif found:
            message = f"location {value} is deactivated"
        else:
            names = listed(location.name for location in self._by_id.values() if location.active)
            message = f"no location {value} in the store; its locations are {names}"
        sheet.error(row_number, LOCATION, message)
        return None


def _action(row_number: int, cells: Mapping[str, str], sheet: SheetReader) -> tuple[StockAction, int] | None:
    """The row's action and quantity: a whole number in exactly one of set and adjust."""
    given = {action: cells[action] for action in StockAction if cells.get(action)}
    if len(given) != 1:
        if given:
            sheet.error(row_number, StockAction.ADJUST, "both set and adjust: give one of them")
        else:
            column = StockAction.SET if StockAction.SET in cells else StockAction.ADJUST
            sheet.error(row_number, column, "empty: give the new quantity in set, or the change in adjust")
        return None
    [(action, text)] = given.items()
    if not WHOLE_NUMBER.fullmatch(text):
        sheet.error(row_number, action, f"{text} is not a whole number")
        return None
    # Python refuses to read a number of thousands of digits: its length tells first.
    if len(text.lstrip("+-0")) > len(str(MAX_UNITS)) or abs(int(text)) > MAX_UNITS:
        sheet.error(row_number, action, f"{text} is beyond {MAX_UNITS:,}, the most a level holds")
        return None
    quantity = int(text)
    if action is StockAction.SET and quantity < 0:
        sheet.error(row_number, action, f"{text} is below 0: a level is set to 0 or more")
        return None
    return action, quantity
