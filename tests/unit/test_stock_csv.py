"""Bulk stock adjustment from a CSV: every row read and planned against the store before anything is written."""

import pytest

from storelink.domain import stock_csv
from storelink.domain.catalogue import Location
from storelink.domain.spreadsheet_csv import RowError
from storelink.domain.stock import InventoryRef
from storelink.domain.stock_csv import StockAction, StockUpdatePlan, plan_stock_update, read_stock_csv
from tests.builders import a_variant

CATALOGUE = [
    a_variant("v1", "TEE-S"),
    a_variant("v2", "TEE-M", barcode="0012345678905"),
    a_variant("v3", "CAP"),
    a_variant("v4", "cap "),
    a_variant("v5", "BOX", is_bundle=True),
]
LOCATIONS = [
    Location(location_id="loc-1", name="Warehouse"),
    Location(location_id="loc-2", name="Shop"),
    Location(location_id="loc-3", name="Old shop", active=False),
]
# What the store holds now; TEE-M is not stocked at the shop.
CURRENT = {
    InventoryRef(item_id="item-of-v1", location_id="loc-1"): 10,
    InventoryRef(item_id="item-of-v1", location_id="loc-2"): 0,
    InventoryRef(item_id="item-of-v2", location_id="loc-1"): 4,
    InventoryRef(item_id="item-of-v3", location_id="loc-1"): 1,
}
HEADER = "sku,location,set,adjust"
FORMULA = "is a spreadsheet formula: save its value, or write text as"


def plan(*rows: str, header: str = HEADER) -> StockUpdatePlan:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return plan_stock_update(read_stock_csv(text, CATALOGUE, LOCATIONS), CURRENT)


def test_rows_set_or_adjust_levels_and_the_plan_shows_each_from_and_to() -> None:
    # Given a set and an adjustment, SKUs and location names written loosely, and a level left as it is
    # When planned against the store
    result = plan(" tee-s ,warehouse,25,", "TEE-M,Warehouse,,-3", "TEE-S,loc-2,,0")
    # Then every row is valid and shows its level's current and new quantity
    assert (result.rows, result.errors, result.applicable) == (3, [], True)
    assert [(level.row_number, level.action, level.quantity, level.current, level.new) for level in result.levels] == [
        (2, StockAction.SET, 25, 10, 25),
        (3, StockAction.ADJUST, -3, 4, 1),
        (4, StockAction.ADJUST, 0, 0, 0),
    ]
    assert result.levels[0].level == InventoryRef(item_id="item-of-v1", location_id="loc-1")
    adjusted = result.levels[1]
    assert (adjusted.variant_id, adjusted.sku, adjusted.location) == ("v2", "TEE-M", "Warehouse")


def test_a_variant_is_named_by_id_inventory_item_or_barcode_and_columns_given_together_must_agree() -> None:
    # Given rows naming variants by variant id, by inventory item and by a barcode written as UPC-A, one of
    # them with the SKU beside its id
    header = "variant_id,inventory_item_id,barcode,sku,location,adjust"
    result = plan("v1,,,TEE-S,Warehouse,1", ",item-of-v3,,,Warehouse,2", ",,012345678905,,Warehouse,3", header=header)
    # Then each finds its variant
    assert result.errors == []
    assert [level.variant_id for level in result.levels] == ["v1", "v3", "v2"]


@pytest.mark.parametrize(
    ("rows", "row_number", "column", "message"),
    [
        (["HAT,Warehouse,1,"], 2, "sku", "no variant has SKU HAT"),
        (["Cap,Warehouse,1,"], 2, "sku", "SKU Cap is on 2 variants (v3, v4): name one in variant_id"),
        (["BOX,Warehouse,1,"], 2, "sku", "variant v5 cannot be adjusted: bundle or kit: its stock is its components'"),
        (["TEE-S,Attic,1,"], 2, "location", "no location Attic in the store; its locations are Warehouse, Shop"),
        (["TEE-S,Old shop,1,"], 2, "location", "location Old shop is deactivated"),
        (["TEE-S,,1,"], 2, "location", "empty: name the location by its name or id"),
        (["TEE-S,Warehouse,2.5,"], 2, "set", "2.5 is not a whole number"),
        (["TEE-S,Warehouse,ten,"], 2, "set", "ten is not a whole number"),
        (["TEE-S,Warehouse,-1,"], 2, "set", "-1 is below 0: a level is set to 0 or more"),
        (["TEE-S,Warehouse,1000000001,"], 2, "set", "1000000001 is beyond 1,000,000,000, the most a level holds"),
        (["TEE-S,Warehouse,1,1"], 2, "adjust", "both set and adjust: give one of them"),
        (["TEE-S,Warehouse,,"], 2, "set", "empty: give the new quantity in set, or the change in adjust"),
        ([",Warehouse,1,"], 2, "sku", "empty: name the variant by sku, variant_id, inventory_item_id or barcode"),
        (["TEE-M,Shop,1,"], 2, "location", "SKU TEE-M is not stocked at Shop: stock it there in the store first"),
        (["TEE-M,Warehouse,,-5"], 2, "adjust", "would take SKU TEE-M at Warehouse from 4 to -1, below 0"),
        (
            ["TEE-S,Warehouse,1,", "tee-s,loc-1,,2"],
            3,
            "location",
            "SKU TEE-S at Warehouse is also on row 2: list each level once",
        ),
        (["=B2+1,Warehouse,1,"], 2, "sku", f"=B2+1 {FORMULA} '=B2+1"),
        (["TEE-S,Warehouse,@SUM(C1),"], 2, "set", f"@SUM(C1) {FORMULA} '@SUM(C1)"),
        (["TEE-S,Warehouse,1,,extra"], 2, "", '5 values for 4 columns: quote values that contain a comma, "A,1"'),
    ],
)
def test_each_bad_row_is_named_with_its_column_and_reason(
    rows: list[str], row_number: int, column: str, message: str
) -> None:
    # Given a file with one kind of mistake, When planned, Then that row and column are named, and nothing applies
    result = plan(*rows)
    assert result.errors == [RowError(row_number=row_number, column=column, message=message)]
    assert not result.applicable


def test_a_sku_beside_an_id_of_another_variant_is_a_contradiction_not_a_guess() -> None:
    # Given a variant id and the SKU of another variant on one row
    result = plan("v1,TEE-M,Warehouse,1", header="variant_id,sku,location,set")
    # Then the row is refused, naming both columns' disagreement
    assert result.errors == [
        RowError(
            row_number=2,
            column="sku",
            message="variant_id v1 is variant v1, whose SKU is TEE-S, not TEE-M: "
            "correct one of them or leave sku empty",
        )
    ]


def test_a_quoted_formula_is_text_and_signed_numbers_are_values() -> None:
    # Given a SKU starting with "-" kept as text by a leading quote (as storelink exports it), and a "+2"
    catalogue = [*CATALOGUE, a_variant("v6", "-TEE")]
    text = f"{HEADER}\n'-TEE,Warehouse,,+2\n"
    current = {InventoryRef(item_id="item-of-v6", location_id="loc-1"): 1}
    # When planned
    result = plan_stock_update(read_stock_csv(text, catalogue, LOCATIONS), current)
    # Then the SKU is read without its quote and +2 as two
    assert result.errors == []
    assert [(level.variant_id, level.new) for level in result.levels] == [("v6", 3)]


def test_one_bad_row_stops_the_whole_file_but_the_plan_still_shows_the_good_rows() -> None:
    # Given two good rows around a bad one
    result = plan("TEE-S,Warehouse,5,", "HAT,Warehouse,1,", "TEE-M,Warehouse,,1")
    # Then nothing is applicable, the bad row is named and the good rows are still shown, for checking
    assert not result.applicable
    assert [error.row_number for error in result.errors] == [3]
    assert [level.row_number for level in result.levels] == [2, 4]


def test_every_mistake_of_a_row_is_named_in_one_pass_in_row_order() -> None:
    # Given a row wrong in each column, and a later row whose level is only found wrong against the store
    result = plan("TEE-M,Shop,,-1", "HAT,Attic,x,")
    # Then all of them are named, row by row
    assert [(error.row_number, error.column) for error in result.errors] == [
        (2, "location"),
        (3, "sku"),
        (3, "location"),
        (3, "set"),
    ]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", "", "the file is empty: its first row names the columns, sku, location and set"),
        ("sku,set\nTEE-S,1\n", "location", "no location column: it names where each row's stock is, by name or id"),
        (
            "sku,location,qty\nA,Shop,1\n",
            "set",
            "no quantity column: add set (the new quantity) or adjust (the change)",
        ),
        (
            "title,location,set\nA,Shop,1\n",
            "sku",
            "no variant column: add sku, variant_id, inventory_item_id or barcode",
        ),
        ("sku,SKU,location,set\nA,B,Warehouse,1\n", "sku", "column sku appears 2 times"),
    ],
)
def test_a_file_without_usable_columns_is_refused_at_its_header(text: str, column: str, message: str) -> None:
    result = plan_stock_update(read_stock_csv(text, CATALOGUE, LOCATIONS), CURRENT)
    assert (result.errors, result.levels) == ([RowError(row_number=1, column=column, message=message)], [])


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the cap (10,000 rows), lowered for speed
    assert stock_csv.MAX_ROWS == 10_000
    monkeypatch.setattr(stock_csv, "MAX_ROWS", 1)
    # When a file has one row more, Then it is refused at the first row over
    result = plan("TEE-S,Warehouse,1,", "TEE-M,Warehouse,1,")
    assert result.errors == [
        RowError(row_number=3, column="", message="more than 1 rows: split the file and import each part")
    ]


# A ShopWired master and its replica: the same SKUs under each account's own ids, one stock per SKU ("Stock").
SHOPWIRED_STOCK = [Location(location_id="stock", name="Stock")]
MASTER = [a_variant("12/1", "SHIRT-BLK-S", product_title="Linen shirt", title="Black / S"), a_variant("14", "TOTE-01")]
REPLICA = [a_variant("903/7", "SHIRT-BLK-S"), a_variant("905", "tote-01"), a_variant("906", None)]


def levels_of(variants: list, quantities: list[int]) -> dict[InventoryRef, int]:
    return {
        InventoryRef(item_id=variant.inventory_item_id, location_id="stock"): quantity
        for variant, quantity in zip(variants, quantities, strict=True)
    }


def test_a_masters_export_imports_in_its_replica_by_sku() -> None:
    # Given a master's stock exported (seed 004's initial sync by hand)
    exported = "".join(stock_csv.export_stock_csv([(MASTER, levels_of(MASTER, [7, 30]))], SHOPWIRED_STOCK))
    # When the replica reads it, its variants under other ids, one without a SKU
    result = plan_stock_update(read_stock_csv(exported, REPLICA, SHOPWIRED_STOCK), levels_of(REPLICA, [0, 2, 5]))
    # Then every master level is set in the replica, found by SKU at the account's one stock
    assert exported.splitlines()[:2] == [
        "sku,product,variant,location,set",
        "SHIRT-BLK-S,Linen shirt,Black / S,Stock,7",
    ]
    assert (result.errors, [(level.variant_id, level.current, level.new) for level in result.levels]) == (
        [],
        [("903/7", 0, 7), ("905", 2, 30)],
    )


def test_the_export_lists_levels_of_variants_with_a_sku_of_their_own_and_protects_cells_from_spreadsheets() -> None:
    # Given a variant whose SKU a spreadsheet would run as a formula, one without a SKU, a kit, all stocked,
    # and a variant the store does not stock at its location
    variants = [a_variant("v1", "=TEE"), a_variant("v2", None), a_variant("v3", "KIT", is_bundle=True)]
    stocked = {InventoryRef(item_id=f"item-of-{v.variant_id}", location_id="loc-1"): 4 for v in variants}
    unstocked = [a_variant("v9", "MUG")]
    # When exported
    exported = "".join(stock_csv.export_stock_csv([([*variants, *unstocked], stocked)], LOCATIONS[:1]))
    # Then only the level another store can find by SKU is listed, its SKU kept as text
    assert exported.splitlines() == ["sku,product,variant,location,set", "'=TEE,Tee,v1,Warehouse,4"]


def test_shopwireds_own_stock_export_is_read_as_it_comes() -> None:
    # Given the file of a ShopWired account's stock management export (its headers assumed: docs/stock-csv.md):
    # no location, ShopWired's names for the SKU and the quantity, product columns storelink ignores
    text = "Product,Variation,SKU Code,Stock\r\nLinen shirt,Black / S,SHIRT-BLK-S,7\r\nCanvas tote,,TOTE-01,30\r\n"
    # When a replica reads it
    result = plan_stock_update(read_stock_csv(text, REPLICA, SHOPWIRED_STOCK), levels_of(REPLICA, [0, 2, 5]))
    # Then it sets each SKU's stock, as the one location of the account
    assert result.errors == []
    assert [(level.sku, level.location, level.action, level.new) for level in result.levels] == [
        ("SHIRT-BLK-S", "Stock", StockAction.SET, 7),
        ("tote-01", "Stock", StockAction.SET, 30),
    ]


def test_a_store_with_several_locations_still_needs_the_location_column() -> None:
    result = plan("TEE-S,25", header="sku,set")
    assert [(error.row_number, error.column) for error in result.errors] == [(1, "location")]
