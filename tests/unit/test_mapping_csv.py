"""A link's mappings as CSV: export, and an import that is checked whole and applies all or nothing."""

import csv
import io

import pytest

from storelink.domain import mapping_csv
from storelink.domain.links import Identifier
from storelink.domain.mapping_csv import EXPORT_COLUMNS, MappingChange, RowError, export_csv, plan_mapping_import
from storelink.domain.matching import MatchState, match_catalogues
from tests.builders import a_variant

HEADER = "destination_variant_id,source_variant_id,source_sku"


DESTINATION = [
    a_variant("d1", "TEE-S"),
    a_variant("d2", "TEE-M"),
    a_variant("d3", "MUG"),
    a_variant("d4", "GIFT", is_bundle=True),
]
SOURCE = [
    a_variant("s1", "TEE-S", barcode="0012345678905"),
    a_variant("s2", "TEE-M"),
    a_variant("s3", "CAP"),
    a_variant("s4", "CAP"),
    a_variant("s5", "BOX", is_bundle=True),
]
# What is mapped now: the tees by SKU; the mug and the gift are not mapped.
CURRENT = {"d1": "s1", "d2": "s2"}


def plan(text: str, current: dict[str, str | None] | None = None) -> mapping_csv.MappingImportPlan:
    return plan_mapping_import(text, DESTINATION, SOURCE, current=CURRENT if current is None else current)


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def test_export_has_one_row_per_destination_variant_with_its_state_and_reason() -> None:
    # Given matches in every state
    destination = [*DESTINATION, a_variant("d5", "CAP")]
    matches = match_catalogues(destination, SOURCE, Identifier.SKU)
    # When exported
    rows = list(csv.DictReader(io.StringIO("".join(export_csv(matches)))))
    # Then each destination variant is a row, in order, with both sides' identifiers and why
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [row["destination_variant_id"] for row in rows] == ["d1", "d2", "d3", "d4", "d5"]
    assert rows[0] == {
        "destination_variant_id": "d1",
        "destination_sku": "TEE-S",
        "destination_barcode": "",
        "state": "matched",
        "source_variant_id": "s1",
        "source_sku": "TEE-S",
        "source_barcode": "0012345678905",
        "reason": "same SKU TEE-S",
    }
    assert [row["state"] for row in rows[2:]] == ["unmatched", "excluded", "ambiguous"]
    # And an ambiguous row names the candidates, so the merchant can pick one in the file
    assert rows[4]["reason"] == "SKU CAP is on 2 source variants (candidates: s3, s4)"
    assert rows[4]["source_variant_id"] == ""


def test_export_keeps_spreadsheets_from_running_a_sku_as_a_formula_and_import_reads_it_back() -> None:
    # Given store data that a spreadsheet would run as a formula
    evil = a_variant("d1", '=HYPERLINK("https://evil.example","x")')
    source = a_variant("s1", "-TEE")
    matches = match_catalogues([evil], [source], Identifier.SKU, {"d1": "s1"})
    # When exported
    text = "".join(export_csv(matches))
    # Then those cells start with a quote, which spreadsheets show as text
    [row] = csv.DictReader(io.StringIO(text))
    assert row["destination_sku"].startswith("'=")
    assert row["source_sku"] == "'-TEE"
    # And importing the file reads the SKU without the quote
    result = plan_mapping_import(text, [evil], [source], current={})
    assert (result.errors, result.changes) == (
        [],
        [MappingChange(destination_variant_id="d1", from_source_variant_id=None, to_source_variant_id="s1")],
    )


def test_an_exported_file_imports_back_unchanged() -> None:
    # Given the export of a matched link, with a manual merge and an unmatched, ambiguous and excluded variant
    destination = [*DESTINATION, a_variant("d5", "CAP"), a_variant("d6", "SHOP-TEE")]
    matches = match_catalogues(destination, SOURCE, Identifier.SKU, {"d6": "s1"})
    current = {m.destination.variant_id: m.source.variant_id for m in matches if m.source}
    # When the same file is imported
    result = plan_mapping_import("".join(export_csv(matches)), destination, SOURCE, current=current)
    # Then every row is valid and nothing would change
    assert (result.rows, result.errors, result.changes, result.applicable) == (6, [], [], True)


def test_a_dry_run_lists_only_real_changes() -> None:
    # Given rows that remap a tee by id, map the mug by SKU (case and spaces ignored) to the other tee's source
    # variant (a merge), restate that tee's mapping, and unmap the gift that is not mapped
    text = csv_of("d1,s2,", "d3,, tee-m ", "d2,s2,", "d4,,")
    # When planned
    result = plan(text)
    # Then only the rows that change something are changes, with what they change from
    assert result.errors == []
    assert result.changes == [
        MappingChange(destination_variant_id="d1", from_source_variant_id="s1", to_source_variant_id="s2"),
        MappingChange(destination_variant_id="d3", from_source_variant_id=None, to_source_variant_id="s2"),
    ]


def test_source_by_sku_or_barcode_compared_as_matching_compares_them() -> None:
    # Given rows naming the source by a differently-cased, padded SKU and by a GTIN written as UPC-A
    text = csv_of("d2, tee-s ,", "d3,,012345678905", header="destination_variant_id,source_sku,source_barcode")
    # When planned
    result = plan(text)
    # Then both resolve to s1 (the merge of two destination variants to one master)
    assert result.errors == []
    assert [(c.destination_variant_id, c.to_source_variant_id) for c in result.changes] == [("d2", "s1"), ("d3", "s1")]


def test_an_empty_source_unmaps() -> None:
    result = plan(csv_of("d1,,"))
    assert result.changes == [
        MappingChange(destination_variant_id="d1", from_source_variant_id="s1", to_source_variant_id=None)
    ]


def test_headers_are_case_insensitive_a_bom_is_tolerated_and_other_columns_ignored() -> None:
    # Given Excel's "CSV UTF-8": a byte order mark, capitalised headers, an extra column, blank lines at the end
    text = "\ufeffDestination_Variant_ID , Notes ,SOURCE_VARIANT_ID\n d3 ,sells well, s2 \n\n,,\n"
    # When planned
    result = plan(text)
    # Then the row is read
    assert (result.rows, result.errors) == (1, [])
    assert result.changes[0].to_source_variant_id == "s2"


KIT = "bundle or kit: its stock is its components'"


@pytest.mark.parametrize(
    ("rows", "row_number", "column", "message"),
    [
        (["d9,s1,"], 2, "destination_variant_id", "no destination variant d9 in the destination catalogue"),
        ([",s1,"], 2, "destination_variant_id", "empty: name the destination variant this row maps"),
        (["d3,s9,"], 2, "source_variant_id", "no source variant s9 in the source catalogue"),
        (["d3,,HAT"], 2, "source_sku", "no source variant has SKU HAT"),
        (["d3,,cap"], 2, "source_sku", "SKU cap is on 2 source variants (s3, s4): name one in source_variant_id"),
        (["d3,s3,", "d3,s4,"], 3, "destination_variant_id", "destination variant d3 is also on row 2: list it once"),
        (["d4,s1,"], 2, "destination_variant_id", f"destination variant d4 cannot be linked: {KIT}"),
        (["d3,s5,"], 2, "source_variant_id", f"source variant s5 cannot be linked: {KIT}"),
        (
            ["d3,s1,TEE-M"],
            2,
            "source_sku",
            "source_variant_id s1 is source variant s1, whose SKU is TEE-S, not TEE-M: "
            "correct one of them or leave source_sku empty",
        ),
        (["d3,s1,TEE-S,extra"], 2, "", '4 values for 3 columns: quote values that contain a comma, "A,1"'),
        (["d3,,=C1"], 2, "source_sku", "=C1 is a spreadsheet formula: save its value, or write text as '=C1"),
    ],
)
def test_each_bad_row_is_named_with_its_column_and_reason(
    rows: list[str], row_number: int, column: str, message: str
) -> None:
    # Given a file with one kind of mistake, When planned, Then that row and column are named, and nothing applies
    result = plan(csv_of(*rows))
    assert result.errors == [RowError(row_number=row_number, column=column, message=message)]
    assert not result.applicable


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        (
            "",
            [
                RowError(
                    row_number=1,
                    column="",
                    message="the file is empty: its first row names the columns, "
                    "destination_variant_id and source_variant_id",
                )
            ],
        ),
        (
            "variant,source_variant_id\nd1,s1\n",
            [
                RowError(
                    row_number=1,
                    column="destination_variant_id",
                    message="no destination_variant_id column: it names the destination variant of each row",
                )
            ],
        ),
        (
            "destination_variant_id,state\nd1,matched\n",
            [
                RowError(
                    row_number=1,
                    column="source_variant_id",
                    message="no source column: add source_variant_id, source_sku or source_barcode",
                )
            ],
        ),
        (
            "destination_variant_id,source_sku,Source_SKU\nd1,A,B\n",
            [RowError(row_number=1, column="source_sku", message="column source_sku appears 2 times")],
        ),
    ],
)
def test_a_file_without_usable_columns_is_refused_at_its_header(text: str, errors: list[RowError]) -> None:
    result = plan(text)
    assert (result.errors, result.changes, result.applicable) == (errors, [], False)


def test_an_unreadable_file_names_the_row_where_reading_stopped() -> None:
    # Given a field larger than any SKU, on the third row
    text = csv_of("d1,s1,", "d2,s2," + "x" * (csv.field_size_limit() + 1))
    # Then the plan says where, instead of failing
    [error] = plan(text).errors
    assert (error.row_number, error.column) == (3, "")
    assert error.message.startswith("not readable as CSV: field larger than field limit")


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    # Given a quoted value spanning two lines on row 2, and a blank row 3
    text = 'destination_variant_id,source_variant_id,notes\nd1,s1,"two\nlines"\n\nd9,s1,\n'
    # Then the bad row is row 4, as a spreadsheet shows it
    assert [e.row_number for e in plan(text).errors] == [4]


def test_one_bad_row_stops_the_whole_import_but_the_dry_run_still_shows_the_rest() -> None:
    # Given two good rows and a bad one between them
    result = plan(csv_of("d1,s2,", "d9,s1,", "d3,s3,"))
    # Then the import is not applicable: all or nothing
    assert not result.applicable
    assert [e.row_number for e in result.errors] == [3]
    # And the good rows' changes are still listed, for the merchant to check before fixing the file
    assert [c.destination_variant_id for c in result.changes] == ["d1", "d3"]


def test_every_row_is_checked_and_every_mistake_of_a_row_named() -> None:
    # Given three bad rows, the first wrong on both sides
    result = plan(csv_of("d9,s9,", "d3,s9,", "d1,,HAT"))
    # Then each is named, not only the first
    assert [(e.row_number, e.column) for e in result.errors] == [
        (2, "destination_variant_id"),
        (2, "source_variant_id"),
        (3, "source_variant_id"),
        (4, "source_sku"),
    ]


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the cap (100,000 rows), lowered for speed
    assert mapping_csv.MAX_ROWS == 100_000
    monkeypatch.setattr(mapping_csv, "MAX_ROWS", 2)
    # When a file has one row more
    result = plan(csv_of("d1,s1,", "d2,s2,", "d3,s3,"))
    # Then it is refused at the first row over
    assert result.errors == [
        RowError(row_number=4, column="", message="more than 2 rows: split the file and import each part")
    ]
    assert not result.applicable


def test_a_manual_map_applied_from_csv_is_matched_by_hand_next_time() -> None:
    # Given a plan that maps the mug to s3 and unmaps a tee
    result = plan(csv_of("d3,s3,", "d1,,"))
    manual = {c.destination_variant_id: c.to_source_variant_id for c in result.changes}
    # When the catalogues are matched again with those manual maps
    matches = {m.destination.variant_id: m for m in match_catalogues(DESTINATION, SOURCE, Identifier.SKU, manual)}
    # Then the mug sells s3, and the tee stays unmapped although its SKU matches
    assert (matches["d3"].state, matches["d3"].source and matches["d3"].source.variant_id) == (MatchState.MATCHED, "s3")
    assert (matches["d1"].state, matches["d1"].reason) == (MatchState.UNMATCHED, "unmapped by hand")
