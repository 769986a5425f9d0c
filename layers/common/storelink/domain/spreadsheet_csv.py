"""CSV files as merchants keep them in spreadsheets: what every CSV storelink reads or writes shares.

Reading is forgiving where spreadsheets differ and strict where a mistake would change stock or a map:
header names ignore case and surrounding spaces, a UTF-8 byte order mark (Excel's "CSV UTF-8") is
accepted, blank rows are skipped and other columns ignored; a cell of a column that is read must be a
value, not a spreadsheet formula. Every problem is kept with its row, numbered as a spreadsheet shows it
(the header is row 1), and its column, so one pass over a file names all of them.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ConfigDict

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier
from storelink.domain.matching import identifier_label, identifier_value, normalise

# A spreadsheet runs a cell that starts with one of these as a formula; a store's SKU must not (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Ids named in a message; the count is always given.
IDS_SHOWN = 5


class RowError(DomainModel):
    model_config = ConfigDict(frozen=True)

    # As a spreadsheet numbers them: the header is row 1.
    row_number: int
    column: str
    message: str


def spreadsheet_cell(value: str) -> str:
    """The cell to write for `value`: one a spreadsheet would run as a formula gets a leading ', shown as text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def from_spreadsheet_cell(value: str) -> str:
    """The value of a cell, without the ' that kept a spreadsheet from running it."""
    value = value.strip()
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet saved this cell as a formula rather than its value; signed numbers are values."""
    cell = cell.strip()
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def csv_lines(header: Sequence[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    """A CSV export as it is written, one line at a time (a header, then a row each, no cell a spreadsheet would
    run as a formula): a direct answer joins them, a file job uploads them as they come (docs/files.md)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(cells: Iterable[str]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(cells)
        return out.getvalue()

    yield line(header)
    for row in rows:
        yield line(spreadsheet_cell(cell) for cell in row)


def listed(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:IDS_SHOWN])
    return shown + (f" and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else "")


@dataclass(frozen=True)
class NeededColumns:
    """The header must name at least one of `names`; otherwise `message` is reported against the first."""

    names: tuple[str, ...]
    message: str


class SheetReader:
    """Reads a CSV row by row as {column: value}, collecting what is wrong instead of stopping at it."""

    def __init__(
        self,
        text: str | Iterable[str],
        *,
        needed: Sequence[NeededColumns],
        max_rows: int,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self._text = text
        self._needed = needed
        # Other names a column goes by (another tool's export), read as storelink's own name.
        self._aliases = aliases or {}
        self._read_columns = {name for columns in needed for name in columns.names}
        self._max_rows = max_rows
        self.errors: list[RowError] = []
        # Rows with any value, good or bad.
        self.rows_read = 0

    def error(self, row_number: int, column: str, message: str) -> None:
        self.errors.append(RowError(row_number=row_number, column=column, message=message))

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row with a value that has as many values as the header has columns and no formula in a
        column that is read; nothing when the header is not usable."""
        # utf-8-sig files (Excel's "CSV UTF-8") start with a byte order mark. A file too large to hold comes as
        # lines read from where it is kept (a file job's upload), its mark already removed by the decoder.
        text = self._text
        records = csv.reader(io.StringIO(text.removeprefix("\ufeff")) if isinstance(text, str) else text)
        header: list[str] | None = None
        row_number = 0
        try:
            for row_number, record in enumerate(records, start=1):
                if header is None:
                    header = [self._aliases.get(name.strip().lower(), name.strip().lower()) for name in record]
                    if not self._header_is_usable(header):
                        return
                elif any(cell.strip() for cell in record):
                    self.rows_read += 1
                    if self.rows_read > self._max_rows:
                        message = f"more than {self._max_rows:,} rows: split the file and import each part"
                        self.error(row_number, "", message)
                        return
                    if (cells := self._cells(row_number, header, record)) is not None:
                        yield row_number, cells
        except csv.Error as error:
            self.error(row_number + 1, "", f"not readable as CSV: {error}")
        if header is None:
            firsts = [columns.names[0] for columns in self._needed]
            self.error(1, "", f"the file is empty: its first row names the columns, {_and(firsts)}")

    def _header_is_usable(self, header: list[str]) -> bool:
        usable = True
        for name in sorted({name for name in header if name and header.count(name) > 1}):
            self.error(1, name, f"column {name} appears {header.count(name)} times")
            usable = False
        for columns in self._needed:
            if not any(name in header for name in columns.names):
                self.error(1, columns.names[0], columns.message)
                usable = False
        return usable

    def _cells(self, row_number: int, header: list[str], record: list[str]) -> dict[str, str] | None:
        """The row's values by column; None when it has more values than columns or a formula."""
        if any(cell.strip() for cell in record[len(header) :]):
            quoting = 'quote values that contain a comma, "A,1"'
            self.error(row_number, "", f"{len(record)} values for {len(header)} columns: {quoting}")
            return None
        cells = dict(zip(header, record, strict=False))
        read = {name: cell.strip() for name, cell in cells.items() if name in self._read_columns}
        formulas = {name: cell for name, cell in read.items() if is_formula(cell)}
        for name, formula in formulas.items():
            message = f"{formula} is a spreadsheet formula: save its value, or write text as '{formula}"
            self.error(row_number, name, message)
        return None if formulas else {name: from_spreadsheet_cell(cell) for name, cell in cells.items()}


def _and(names: Sequence[str]) -> str:
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class VariantColumn:
    """A column that names a variant besides its id: compared as `compared_as` makes them comparable."""

    name: str
    label: str
    value_of: Callable[[CatalogueVariant], str | None]
    compared_as: Callable[[str | None], str | None]


def identifier_column(name: str, identifier: Identifier) -> VariantColumn:
    """A SKU or barcode column, compared as matching compares them; several variants may share one."""
    return VariantColumn(
        name=name,
        label=identifier_label(identifier),
        value_of=lambda variant: identifier_value(variant, identifier),
        compared_as=lambda value: normalise(value, identifier),
    )


class VariantFinder:
    """Finds the one catalogue variant a row names: by its id, else by the first other column given.

    Every other column given must describe the same variant: an edited SKU beside an old id is a
    contradiction to show, not to settle by guessing. Kits and untracked variants are refused.
    """

    def __init__(
        self,
        variants: Iterable[CatalogueVariant],
        sheet: SheetReader,
        *,
        id_column: str,
        columns: Sequence[VariantColumn],
        noun: str,
        catalogue: str,
        to_be: str,
    ) -> None:
        variants = list(variants)
        self._by_id = {variant.variant_id: variant for variant in variants}
        self._columns = {column.name: column for column in columns}
        self._indexes: dict[str, dict[str, list[CatalogueVariant]]] = {column.name: {} for column in columns}
        for column in columns:
            for variant in variants:
                if (key := column.compared_as(column.value_of(variant))) is not None:
                    self._indexes[column.name].setdefault(key, []).append(variant)
        self._sheet = sheet
        self._id_column = id_column
        # How messages speak: "no source variant s9 in the source catalogue", "cannot be linked".
        self._noun, self._catalogue, self._to_be = noun, catalogue, to_be

    def find(self, row_number: int, cells: Mapping[str, str]) -> tuple[bool, CatalogueVariant | None]:
        """Whether the row names its variant validly, and the variant (None: the row names none)."""
        given = {name: cells[name] for name in self._columns if cells.get(name)}
        if cells.get(self._id_column):
            name, value = self._id_column, cells[self._id_column]
            chosen = self._by_id.get(value)
            if chosen is None:
                self._sheet.error(row_number, name, f"no {self._noun} {value} in {self._catalogue}")
                return False, None
        elif given:
            name, value = next(iter(given.items()))
            column = self._columns[name]
            found = self._indexes[name].get(column.compared_as(value) or "", [])
            if len(found) != 1:
                if found:
                    ids = listed(variant.variant_id for variant in found)
                    on = f"is on {len(found)} {self._noun}s ({ids})"
                    message = f"{column.label} {value} {on}: name one in {self._id_column}"
                else:
                    message = f"no {self._noun} has {column.label} {value}"
                self._sheet.error(row_number, name, message)
                return False, None
            [chosen] = found
            del given[name]
        else:
            return True, None
        valid = True
        for other, other_value in given.items():
            column = self._columns[other]
            has = column.value_of(chosen)
            if column.compared_as(other_value) != column.compared_as(has):
                message = (
                    f"{name} {value} is {self._noun} {chosen.variant_id}, whose {column.label} "
                    f"is {has or 'empty'}, not {other_value}: correct one of them or leave {other} empty"
                )
                self._sheet.error(row_number, other, message)
                valid = False
        if why := chosen.not_linkable_because:
            self._sheet.error(row_number, name, f"{self._noun} {chosen.variant_id} cannot be {self._to_be}: {why}")
            valid = False
        return valid, chosen
